package netem

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Start starts cmd inside the namespace. The child gets its own process
// group and is killed if this process dies (Pdeathsig), so nothing outlives
// the run. The caller waits for it as usual.
func (n *Namespace) Start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := n.Do(cmd.Start); err != nil {
		return fmt.Errorf("netem: starting %s in %s: %w", cmd.Path, n.Name, err)
	}
	return nil
}

// Stop ends a command started by Start: SIGTERM to its process group, then
// SIGKILL after grace. It returns once the process has been waited for.
func Stop(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	if cmd.Process == nil {
		return
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// Anything the command left in its group goes too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// killInNamespace kills every process whose network namespace is the one
// bind-mounted at path (they can only be ours: the namespace is) and waits
// briefly for them to go.
func killInNamespace(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("netem: %s: %w", path, err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		pids := pidsInNamespace(st.Dev, st.Ino)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("netem: processes %v still in %s after SIGKILL", pids, path)
		}
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pidsInNamespace(dev, ino uint64) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(filepath.Join("/proc", e.Name(), "ns/net"), &st) != nil {
			continue
		}
		if st.Dev == dev && st.Ino == ino && !isZombie(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

// WaitListening waits until a TCP socket listens in the namespace of the
// process pid (any socket: the namespace is new, so it is the server's), the
// process exits (an error), or grace passes (no error: the server may speak
// UDP only). It reports whether a listener was seen.
func WaitListening(ctx context.Context, pid int, exited <-chan struct{}, grace time.Duration) (bool, error) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	timeout := time.After(grace)
	for {
		if listening(pid) {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-exited:
			return false, errors.New("the server exited before it listened")
		case <-timeout:
			return false, nil
		case <-t.C:
		}
	}
}

// listening reports whether /proc/PID/net/tcp{,6} shows a LISTEN socket.
// /proc/PID/net is the network namespace of that process.
func listening(pid int) bool {
	for _, f := range []string{"tcp", "tcp6"} {
		fh, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 3 && fields[3] == "0A" {
				fh.Close()
				return true
			}
		}
		fh.Close()
	}
	return false
}
