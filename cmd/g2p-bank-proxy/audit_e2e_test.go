package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/audit"
)

// A full disk under the audit file (here /dev/full, which opens but takes
// no byte): the write whose record cannot be appended is answered (it is
// in Odoo) and its record logged and kept; later writes are refused before
// Odoo and /readyz fails, however often the file is probed, until the file
// takes writes again and holds the kept record.
func TestFullAuditDiskRefusesWritesUntilTheRecordsAreWritten(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	p := startSecuredProxy(t)
	enrol := "Bearer " + enrolKey
	create := func(name string) (int, string) {
		return p.call(t, "POST", "/individual", enrol, fmt.Sprintf(`{"name": %q}`, name))
	}
	// Nothing was written yet: replace the file by a full device.
	if err := os.Remove(p.audit); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", p.audit); err != nil {
		t.Fatal(err)
	}

	if s, b := create("Sow, Aminata"); s != http.StatusOK && s != http.StatusCreated {
		t.Fatalf("the write during which the disk fills: %d %s, want its result (it is in Odoo)", s, b)
	}
	if !strings.Contains(p.logs.String(), "audit record NOT written to the audit file yet") ||
		!strings.Contains(p.logs.String(), `"action":"POST /individual"`) {
		t.Errorf("the record that could not be written was not logged:\n%s", p.logs)
	}
	calls := len(p.emu.CallLog())
	for range 2 {
		s, b := create("Fall, Ousmane")
		if s != http.StatusServiceUnavailable || !strings.Contains(b, `"code":"audit_unavailable"`) {
			t.Fatalf("write on a full audit disk: %d %s, want 503 audit_unavailable", s, b)
		}
	}
	if after := p.emu.CallLog()[calls:]; len(after) != 0 {
		t.Errorf("refused writes reached Odoo: %+v", after)
	}
	root := strings.TrimSuffix(p.base, "/api/v1/registry")
	resp, err := http.Get(root + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || ready.Checks["audit"] != "unavailable" {
		t.Errorf("/readyz on a full audit disk: %d %v, want 503 with audit unavailable", resp.StatusCode, ready.Checks)
	}

	// Room again (the path is a regular file again): the kept record goes
	// first, then the new write's.
	if err := os.Remove(p.audit); err != nil {
		t.Fatal(err)
	}
	if s, b := create("Fall, Ousmane"); s != http.StatusOK && s != http.StatusCreated {
		t.Fatalf("write once the disk has room: %d %s", s, b)
	}
	data, err := os.ReadFile(p.audit)
	if err != nil {
		t.Fatal(err)
	}
	s, err := audit.Verify(bytes.NewReader(data), nil)
	if err != nil || s.Records != 2 || strings.Count(string(data), `"action":"POST /individual","registrant_ids":[`) != 2 {
		t.Errorf("audit file after recovery (%+v, %v):\n%s", s, err, data)
	}
}
