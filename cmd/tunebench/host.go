package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/servers"
)

func cmdDoctor(stdout io.Writer, args []string) error {
	fs := newFlagSet("doctor")
	asJSON := fs.Bool("json", false, "print the checks as JSON")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	checks := netem.Doctor(context.Background())
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(checks); err != nil {
			return err
		}
	} else {
		for _, c := range checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
				if !c.Needed {
					mark = "no  "
				}
			}
			fmt.Fprintf(stdout, "%s  %-24s %s\n", mark, c.Name, c.Detail)
			if !c.OK {
				fmt.Fprintf(stdout, "      %-24s fix: %s\n", "", c.Fix)
			}
		}
	}
	if !netem.CanRun(checks) {
		return fmt.Errorf("doctor: tunebench cannot run here: a needed check failed or no backend built a working path; see the failing steps and fixes above")
	}
	fmt.Fprintln(stdout, "tunebench can run here (backend "+strings.Join(netem.Runnable(checks), " or ")+")")
	return nil
}

func cmdClean(stdout io.Writer, args []string) error {
	fs := newFlagSet("clean")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	if err := needRoot("clean"); err != nil {
		return err
	}
	left, err := netem.Leftovers()
	if err != nil {
		return err
	}
	for _, l := range left {
		if l.Live {
			fmt.Fprintf(stdout, "kept %s: its run (pid %d) is alive\n", l.Name, l.Owner)
		}
	}
	removed, err := netem.Sweep()
	for _, r := range removed {
		fmt.Fprintln(stdout, "removed", r)
	}
	if len(removed) == 0 && err == nil {
		fmt.Fprintln(stdout, "nothing to clean")
	}
	return err
}

func cmdServe(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("serve")
	addr := fs.String("addr", "", "`host:port` to listen on (required)")
	idle := fs.Duration("idle-timeout", 0, "close idle keep-alive connections after this long (0: 90s)")
	codecName := fs.String("codec", os.Getenv("TUNEBENCH_CODEC"), "`json|protobuf`: encoding of /orders when a request names none (default $TUNEBENCH_CODEC, else json)")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	if *addr == "" {
		return usagef("serve: --addr is required, e.g. --addr 198.18.0.2:8080")
	}
	// The cell's kernel knobs, as the runner passes them to every server.
	sock := servers.SocketOptions{
		FastOpen:   os.Getenv("TUNEBENCH_TFO") == "on",
		Congestion: os.Getenv("TUNEBENCH_CC"),
		Nagle:      os.Getenv("TUNEBENCH_NODELAY") == "off",
	}
	// The cell's transport knobs (tls, http, max_requests, server_idle).
	tr, envIdle, err := servers.TransportFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	if *idle == 0 {
		*idle = envIdle
	}
	codec, err := servers.ParseCodec(*codecName)
	if err != nil {
		return usagef("serve: --codec: %v", err)
	}
	// The claims' knobs (backlog, sndbuf, max_conns, header_timeout).
	limits, headerTimeout, err := servers.LimitsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	return servers.Run(ctx, servers.Config{Addr: *addr, IdleTimeout: *idle, ReadHeaderTimeout: headerTimeout, Socket: sock, Transport: tr, Codec: codec, Limits: limits}, stdout)
}

func cmdLoad(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("load")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	return agent.Main(ctx, os.Stdin, stdout, stderr)
}

// substitute replaces {server} and {client} with the hosts' addresses.
func substitute(s string) string {
	return strings.NewReplacer("{server}", netem.ServerAddr.String(), "{client}", netem.ClientAddr.String()).Replace(s)
}

var _ = time.Second
