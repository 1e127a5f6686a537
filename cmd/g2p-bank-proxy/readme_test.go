package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A newcomer reads the README's first lines and runs them; CI runs the same
// test command.
func TestReadmeStartsWithTheNewcomerCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var first []string
	for _, line := range strings.Split(string(readme), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			first = append(first, line)
		}
		if len(first) == 2 {
			break
		}
	}
	want := []string{"go run ./cmd/g2p-bank-proxy demo", "go test -race ./..."}
	if len(first) != 2 || first[0] != want[0] || first[1] != want[1] {
		t.Errorf("README starts with %q, want %q", first, want)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "\n"+want[1]+"\n") {
		t.Errorf(".ci/run does not run the README's test command %q", want[1])
	}
}

// The README's API examples work against the demo, as printed.
func TestReadmeExamplesWorkAgainstTheDemo(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, api, ok := strings.Cut(string(readme), "\n## API\n")
	if !ok {
		t.Fatal("README has no API section")
	}
	var script strings.Builder
	script.WriteString("set -eu\n")
	for _, block := range strings.Split(api, "```sh\n")[1:] {
		code, _, _ := strings.Cut(block, "```")
		// -f: an HTTP error fails the script, and set -x names the command.
		script.WriteString(strings.ReplaceAll(code, "curl -sS ", "curl -sS -f -o /dev/null "))
	}
	if !strings.Contains(script.String(), "curl") {
		t.Fatal("README's API section has no curl example")
	}
	d, _ := startTestDemo(t, demoOptions{})
	cmd := exec.Command("sh", "-x", "-c", script.String())
	cmd.Env = append(os.Environ(), "API="+d.apiURL, "KEY="+d.apiKey)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("a README example failed (%v); the last command shown is the one:\n%s", err, out)
	}
}
