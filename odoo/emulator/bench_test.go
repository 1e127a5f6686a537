package emulator

import (
	"fmt"
	"testing"
)

// seedRegistrants creates n individuals with one registrant ID and one
// bank account each, in batches of 100 per create call.
func seedRegistrants(b *testing.B, s *Server, n int) int64 {
	idt := asInt(b, mustRPC(b, s, "g2p.id.type", "create", list(map[string]any{"name": "Bench NID"}), nil))
	for done := 0; done < n; {
		var batch []any
		for i := 0; i < 100 && done < n; i, done = i+1, done+1 {
			batch = append(batch, map[string]any{"name": fmt.Sprintf("P%06d", done), "is_registrant": true,
				"reg_ids":  list(cmd(0, 0, map[string]any{"id_type": idt, "value": fmt.Sprintf("V%06d", done)})),
				"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": fmt.Sprintf("ACC-%06d", done)}))})
		}
		mustRPC(b, s, "res.partner", "create", list(batch), nil)
	}
	return idt
}

func BenchmarkSearchRegistrantByRegID(b *testing.B) {
	s := NewTestServer(b, Options{Seed: SeedEmpty})
	seedRegistrants(b, s, 2000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := fmt.Sprintf("V%06d", i%2000)
		mustRPC(b, s, "res.partner", "search_read", list(list(list("reg_ids.value", "=", v))), kw("fields", list("name", "bank_ids")))
	}
}

func BenchmarkCreateIndividualWithAccount(b *testing.B) {
	s := NewTestServer(b, Options{Seed: SeedEmpty})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mustRPC(b, s, "res.partner", "create", list(map[string]any{"name": fmt.Sprintf("B%08d", i),
			"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": fmt.Sprintf("B-%08d", i)}))}), nil)
	}
}
