// Command entrypoint is the container image's entrypoint: it runs tunebench
// with its arguments and, when tunebench has exited, gives what the run
// created under the working directory to the owner of the folder it was
// created in.
//
// The container runs as root, because namespaces and TUN devices need
// CAP_NET_ADMIN and CAP_SYS_ADMIN and Docker grants capabilities to root
// only. Without this step the results, histograms and reports written into
// a bind-mounted ./out would belong to root on the host. With it, a file
// written into ./out takes the owner of ./out (the user who made the folder),
// and a folder the run creates there (results.logs/) takes it too, and so
// does everything under it. Files that existed before the run keep their
// owner.
//
// Signals: SIGTERM, SIGHUP and SIGQUIT (docker stop, docker kill) reach
// only PID 1 and are passed on to tunebench, so it tears its hosts down as
// it does on a terminal. SIGINT is passed on too, except when it came from
// the container's terminal: the terminal sends it to tunebench itself, and
// a second one would cut tunebench's teardown short.
//
// Kernel knobs: Docker mounts /proc/sys read-only, so the knobs that set a
// namespace's sysctls (tfo, sysctl) would fail. Before it starts tunebench,
// the entrypoint remounts /proc/sys read-write in the container's own mount
// namespace when it may (CAP_SYS_ADMIN, which tunebench needs anyway, and
// no AppArmor profile in the way; the compose file grants both), and says
// nothing when it may not: tunebench doctor names what is missing.
// tunebench writes only the sysctls of the namespaces it creates.
//
// The exit status is tunebench's, or 128+N when a signal N ended it.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// tunebench is where the image holds the binary.
const tunebench = "/usr/local/bin/tunebench"

func main() {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "entrypoint: %v\n", err)
		wd = ""
	}
	if os.Geteuid() == 0 {
		_ = writableProcSys("/proc/sys")
	}
	os.Exit(run(tunebench, os.Args[1:], wd))
}

// writableProcSys remounts the read-only mount at dir read-write, keeping
// its other flags. It does nothing when dir is writable already.
func writableProcSys(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("entrypoint: %s: %w", dir, err)
	}
	if st.Flags&unix.ST_RDONLY == 0 {
		return nil
	}
	keep := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|keep, ""); err != nil {
		return fmt.Errorf("entrypoint: making %s writable: %w", dir, err)
	}
	return nil
}

// run runs the binary with args and returns the status to exit with. When
// it runs as root, what the binary created under dir ("": nowhere) is then
// given to the owner of its folder.
func run(bin string, args []string, dir string) int {
	start := time.Now()
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "entrypoint: starting %s: %v\n", bin, err)
		return 127
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
wait:
	for {
		select {
		case s := <-sigs:
			if s == unix.SIGINT && fromTerminal() {
				continue
			}
			_ = cmd.Process.Signal(s)
		case err = <-done:
			break wait
		}
	}
	signal.Stop(sigs)

	status := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			status = 128 + int(ws.Signal())
		}
	case err != nil:
		fmt.Fprintf(os.Stderr, "entrypoint: %s: %v\n", bin, err)
		status = 127
	}
	if dir != "" && os.Geteuid() == 0 {
		// File times are taken from a coarse clock: allow for it.
		if err := GiveToFolderOwner(dir, start.Add(-2*time.Second)); err != nil {
			fmt.Fprintf(os.Stderr, "entrypoint: %v\n", err)
		}
	}
	return status
}

// fromTerminal reports whether a terminal is attached whose foreground
// process group is ours: then a SIGINT from the keyboard reached tunebench,
// which runs in our group, already.
func fromTerminal() bool {
	pgrp := unix.Getpgrp()
	for _, fd := range []int{0, 1, 2} {
		if fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err == nil && fg == pgrp {
			return true
		}
	}
	return false
}

// GiveToFolderOwner walks the tree under root and gives every file or
// folder that root (uid 0) owns and that changed at or after since to the
// owner of the folder that holds it, folders before their contents, so a
// new folder passes its new owner on. It descends only into folders that
// changed at or after since (a new entry changes its folder), so a large
// tree that the run did not write to costs a stat or two. Symbolic links
// are changed, not followed.
func GiveToFolderOwner(root string, since time.Time) error {
	var errs []error
	walkErr := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if path == root {
			return nil
		}
		var st, parent unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			errs = append(errs, err)
			return nil
		}
		changed := !changedAt(st).Before(since)
		if d.IsDir() && !changed {
			return filepath.SkipDir
		}
		if !changed || st.Uid != 0 {
			return nil
		}
		if err := unix.Lstat(filepath.Dir(path), &parent); err != nil {
			errs = append(errs, err)
			return nil
		}
		if parent.Uid == 0 {
			return nil
		}
		if err := os.Lchown(path, int(parent.Uid), int(parent.Gid)); err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	errs = append(errs, walkErr)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("entrypoint: giving the run's files to their folder's owner: %w", err)
	}
	return nil
}

// changedAt is the later of a file's modification and status change times.
func changedAt(st unix.Stat_t) time.Time {
	m := time.Unix(st.Mtim.Unix())
	if c := time.Unix(st.Ctim.Unix()); c.After(m) {
		return c
	}
	return m
}
