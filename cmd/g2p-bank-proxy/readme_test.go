package main

import (
	"os"
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
