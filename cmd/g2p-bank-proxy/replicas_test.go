package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency/redistest"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// Two `serve` processes configured with the same Redis: an Idempotency-Key
// answered by one is replayed by the other.
func TestServeReplicasShareIdempotencyKeysThroughRedis(t *testing.T) {
	rc := redistest.Start(t)
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	cfgFile := writeServeConfig(t, emu.URL(), fmt.Sprintf(`
redis:
  addr: %s
auth:
  api_keys:
    - id: integrator
      key: integrator-key-123
      scopes: [registry:read, registry:write]
`, rc.Options().Addr))
	addrs := []string{startServe(t, cfgFile).addr, startServe(t, cfgFile).addr}
	post := func(addr string) (*http.Response, string) {
		body := `{"given_name":"Replica","family_name":"Test","ids":[{"id_type":"National ID","value":"5000000001"}]}`
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/registry/individual", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer integrator-key-123")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "replica-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	first, firstBody := post(addrs[0])
	creates := emu.CallsTo("res.partner", "create")
	again, againBody := post(addrs[1])
	if first.StatusCode != 200 || again.StatusCode != 200 || again.Header.Get("Idempotent-Replayed") != "true" || againBody != firstBody {
		t.Errorf("replica B: %d replayed %q %s\nreplica A: %d %s", again.StatusCode, again.Header.Get("Idempotent-Replayed"), againBody, first.StatusCode, firstBody)
	}
	if emu.CallsTo("res.partner", "create") != creates {
		t.Error("replica B wrote again")
	}
}

// With its Redis down, `serve` says so in its JSON log (go-redis's own
// complaints included, which it would otherwise print as plain text on
// stderr), in /readyz and in a keyed write's answer.
func TestServeWithRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadRedis := ln.Addr().String()
	ln.Close()
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	cfgFile := writeServeConfig(t, emu.URL(), fmt.Sprintf(`
redis:
  addr: %s
auth:
  api_keys:
    - id: integrator
      key: integrator-key-123
      scopes: [registry:read, registry:write]
`, deadRedis))
	srv := startServe(t, cfgFile)
	logs, addr := srv.logs, srv.addr

	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/registry/individual",
		strings.NewReader(`{"given_name":"Redis","family_name":"Down"}`))
	req.Header.Set("Authorization", "Bearer integrator-key-123")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "redis-down")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), `"code":"idempotency_store_unavailable"`) {
		t.Errorf("keyed write: %d %s, want 503 idempotency_store_unavailable", resp.StatusCode, body)
	}
	ready, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(ready.Body)
	ready.Body.Close()
	if ready.StatusCode != 503 || !strings.Contains(string(rb), `"redis":"unavailable"`) {
		t.Errorf("/readyz: %d %s, want 503 naming redis", ready.StatusCode, rb)
	}
	var fromRedis bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry struct{ Logger, Msg string }
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
		fromRedis = fromRedis || (entry.Logger == "redis" && strings.Contains(entry.Msg, "dial"))
	}
	if !fromRedis {
		t.Errorf("no go-redis line in the JSON log:\n%s", logs)
	}
}
