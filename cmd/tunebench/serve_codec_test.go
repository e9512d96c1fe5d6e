package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeCodec checks that `tunebench serve` takes the codec of /orders
// from TUNEBENCH_CODEC, the variable the runner sets, and that --codec
// overrides it.
func TestServeCodec(t *testing.T) {
	tests := []struct {
		name, env string
		args      []string
		wantType  string
	}{
		{"default", "", nil, "application/json"},
		{"env", "protobuf", nil, "application/x-protobuf"},
		{"flag over env", "protobuf", []string{"--codec", "json"}, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TUNEBENCH_CODEC", tt.env)
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			done := make(chan error, 1)
			go func() {
				done <- cmdServe(ctx, pw, io.Discard, append([]string{"--addr", "127.0.0.1:0"}, tt.args...))
				pw.Close()
			}()
			defer func() {
				cancel()
				go io.Copy(io.Discard, pr)
				if err := <-done; err != nil {
					t.Errorf("serve: %v", err)
				}
			}()
			line, err := bufio.NewReader(pr).ReadString('\n')
			if err != nil {
				t.Fatalf("reading the ready line: %v", err)
			}
			addr := strings.TrimSpace(strings.TrimPrefix(line, "listening "))
			resp, err := http.Get("http://" + addr + "/orders?items=2")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type: got %q; want %q", got, tt.wantType)
			}
		})
	}
}

func TestServeCodecBad(t *testing.T) {
	t.Setenv("TUNEBENCH_CODEC", "xml")
	err := cmdServe(context.Background(), io.Discard, io.Discard, []string{"--addr", "127.0.0.1:0"})
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `codec "xml": unknown; use json or protobuf`) {
		t.Errorf("got %v; want a usage error naming json and protobuf", err)
	}
}
