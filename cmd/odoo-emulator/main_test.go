package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestServesVersionUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--seed", "empty"}, w) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	url := strings.Fields(line)[1]
	resp, err := http.Post(url+"/jsonrpc", "application/json",
		strings.NewReader(`{"jsonrpc":"2.0","method":"call","id":1,"params":{"service":"common","method":"version","args":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"server_version": "17.0"`) {
		t.Fatalf("version answer %s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
}

func TestRefusesUnknownSeed(t *testing.T) {
	err := run(context.Background(), []string{"--seed", "full"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--seed must be demo or empty") {
		t.Fatalf("got %v", err)
	}
}
