package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// startTestDemo runs the demo on free loopback ports until the test ends.
func startTestDemo(t *testing.T, o demoOptions) (*demo, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	ctx, cancel := context.WithCancel(context.Background())
	if o.listen == "" {
		o.listen = "127.0.0.1:0"
	}
	d, err := startDemo(ctx, o, zap.New(core))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := d.wait(); err != nil {
			t.Errorf("demo shutdown: %v", err)
		}
	})
	return d, logs
}

func call(t *testing.T, d *demo, c exampleCall) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, d.apiURL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// The banner's two example calls work against the demo data.
func TestDemoExampleCallsWork(t *testing.T) {
	d, logs := startTestDemo(t, demoOptions{apiKey: "test-demo-key"})
	calls := d.exampleCalls()

	status, body := call(t, d, calls[0])
	var list []map[string]any
	if status != 200 || json.Unmarshal(body, &list) != nil || len(list) == 0 || len(list) > 5 {
		t.Fatalf("%s: %d %s; want 1 to 5 individuals", calls[0].title, status, body)
	}

	status, body = call(t, d, calls[1])
	var created struct {
		ID      int64 `json:"id"`
		BankIDs []struct {
			BankName  string `json:"bank_name"`
			AccNumber string `json:"acc_number"`
		} `json:"bank_ids"`
		RegIDs []struct {
			Value string `json:"value"`
		} `json:"reg_ids"`
	}
	if status != 200 || json.Unmarshal(body, &created) != nil || created.ID == 0 {
		t.Fatalf("%s: %d %s", calls[1].title, status, body)
	}
	if len(created.BankIDs) != 1 || created.BankIDs[0].AccNumber != "SN04 SN01 0152 0000 0042 4242 4242" || len(created.RegIDs) != 1 {
		t.Errorf("created individual lacks its bank account or id: %s", body)
	}
	// Its id is a valid one, so the next thing a newcomer tries finds it.
	status, body = call(t, d, exampleCall{method: "GET", path: "/get_individual_ids?include_id_type=National%20ID"})
	if status != 200 || !strings.Contains(string(body), `"1000000042"`) {
		t.Errorf("get_individual_ids after the example create: %d %s; want it to list 1000000042", status, body)
	}

	// The access log counts the Odoo calls each request made.
	for _, l := range logs.FilterMessage("request").All() {
		f := l.ContextMap()
		if f["client"] != demoClientID || f["odoo_calls"].(int64) == 0 {
			t.Errorf("access log %v: want client %q and a non-zero odoo_calls", f, demoClientID)
		}
	}
	if n := logs.FilterMessage("request").Len(); n != 3 {
		t.Errorf("%d access log lines, want 3", n)
	}
}

// What the banner prints is runnable as it is.
func TestDemoBannerCurlCommands(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	d, _ := startTestDemo(t, demoOptions{})
	var banner bytes.Buffer
	d.printBanner(&banner)
	if !strings.Contains(banner.String(), d.apiURL) || !strings.Contains(banner.String(), d.apiKey) {
		t.Fatalf("banner lacks the URL or key:\n%s", banner.String())
	}
	var commands []string
	for _, line := range strings.Split(banner.String(), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "curl ") {
			commands = append(commands, line)
		}
	}
	if len(commands) != 2 {
		t.Fatalf("want 2 curl commands in the banner, got %d:\n%s", len(commands), banner.String())
	}
	for _, c := range commands {
		out, err := exec.Command("sh", "-c", c+" -o /dev/null -w '%{http_code}'").CombinedOutput()
		if err != nil || string(out) != "200" {
			t.Errorf("%s\n=> %s %v, want 200", c, out, err)
		}
	}
}

func TestDemoKeyIsRandomUnlessGiven(t *testing.T) {
	a, b := randomKey(), randomKey()
	if a == b || len(a) < 32 {
		t.Errorf("random keys %q and %q: want distinct and long", a, b)
	}
	d, _ := startTestDemo(t, demoOptions{})
	if !strings.HasPrefix(d.apiKey, "demo-") {
		t.Errorf("demo key %q is not a generated one", d.apiKey)
	}
	req, _ := http.NewRequest("GET", d.apiURL+"/individual", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("a wrong key: %d, want 401", resp.StatusCode)
	}
}

// Tools can reach the emulated Odoo directly at the address the banner
// prints, with or without --emulator-listen (which only fixes the address).
func TestDemoExposesTheEmulator(t *testing.T) {
	d, _ := startTestDemo(t, demoOptions{})
	client, err := odoo.New(odoo.Config{URL: d.emulatorURL, DB: demoDB, Login: demoLogin, Secret: demoPassword}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	n, err := client.SearchCount(context.Background(), "res.partner", odoo.Domain{odoo.Cond("is_registrant", "=", true)}, odoo.Options{})
	if err != nil || n == 0 {
		t.Errorf("registrants in the emulator: %d, %v", n, err)
	}
}

func TestDemoRefusesABusyAddress(t *testing.T) {
	d, _ := startTestDemo(t, demoOptions{})
	addr := strings.TrimPrefix(strings.TrimSuffix(d.apiURL, "/api/v1/registry"), "http://")
	if _, err := startDemo(context.Background(), demoOptions{listen: addr}, zap.NewNop()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("second demo on %s: %v, want a listen error", addr, err)
	}
}
