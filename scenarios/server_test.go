package scenarios

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseServerCommand covers the two forms of server.command and
// server.ready.
func TestParseServerCommand(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Server
	}{
		{"shell form", `server: {command: "./srv --listen {addr}"}`,
			Server{Endpoint: DefaultEndpoint, Command: "./srv --listen {addr}"}},
		{"list form", `server: {command: ["./myapi", "--listen", "{addr}"], ready: /healthz}`,
			Server{Endpoint: DefaultEndpoint, Argv: []string{"./myapi", "--listen", "{addr}"}, Ready: "/healthz"}},
		{"list form, block style, numbers as text", "server:\n  command:\n    - /usr/bin/myapi\n    - --port\n    - 8080\n  ready: /ready?deep=1",
			Server{Endpoint: DefaultEndpoint, Argv: []string{"/usr/bin/myapi", "--port", "8080"}, Ready: "/ready?deep=1"}},
		{"ready with shell form", `server: {command: ./srv, ready: /healthz}`,
			Server{Endpoint: DefaultEndpoint, Command: "./srv", Ready: "/healthz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(edit(0, tt.yaml)))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Server, tt.want) {
				t.Errorf("got %+v; want %+v", s.Server, tt.want)
			}
		})
	}
}

func TestParseServerCommandErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty list", `server: {command: []}`, `t.yaml:9: server.command: empty list; give the program and its arguments`},
		{"mapping", `server: {command: {run: ./srv}}`, `t.yaml:9: server.command: got a mapping; give a command line such as "./myserver -port 8080", or a list`},
		{"list item is a list", `server: {command: [./srv, [a, b]]}`, `t.yaml:9: server.command[1]: got a list; give one argument as a string`},
		{"list item is null", "server:\n  command:\n    - ./srv\n    -\n", `t.yaml:12: server.command[1]: no value; give one argument as a string`},
		{"list item is a mapping", `server: {command: [./srv, {a: b}]}`, `t.yaml:9: server.command[1]: got a mapping`},
		{"empty program", `server: {command: ["", "--x"]}`, `t.yaml:9: server.command[0]: empty program; give the path of your server`},
		{"ready without command", `server: {ready: /healthz}`, `t.yaml:9: server.ready: is for your own server; give command: too`},
		{"ready without slash", `server: {command: ./srv, ready: healthz}`, `t.yaml:9: server.ready: "healthz" does not start with /`},
		{"ready with a space", `server: {command: ./srv, ready: /a b}`, `t.yaml:9: server.ready: "/a b" is not a request path`},
		{"ready as a list", `server: {command: ./srv, ready: [/a]}`, `t.yaml:9: server.ready: got a list; give a path such as /healthz`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(edit(0, tt.yaml)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}
