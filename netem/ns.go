package netem

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NamespaceDir is where named network namespaces are bind-mounted, as
// iproute2 does, so `ip netns` and `tunebench link exec` can find them.
const NamespaceDir = "/run/netns"

// Namespace is a named network namespace that this package created. It is
// closed by its topology's teardown; using it after that is an error.
type Namespace struct {
	Name string

	mu     sync.Mutex
	h      netns.NsHandle // guarded by mu
	closed bool           // guarded by mu
}

// Path is the namespace's bind mount, usable with setns(2) or nsenter(1).
func (n *Namespace) Path() string { return filepath.Join(NamespaceDir, n.Name) }

var errClosed = errors.New("netem: namespace already torn down")

// Do runs fn with the calling goroutine's view of the network switched to
// the namespace: on a fresh goroutine locked to its OS thread, switched in,
// and switched back before the thread is released. A thread whose switch
// back fails is never released, so it dies instead of leaking the namespace
// into the scheduler. fn must not start goroutines that expect to stay in
// the namespace; sockets and devices it opens stay bound to the namespace.
func (n *Namespace) Do(fn func() error) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return errClosed
	}
	h, err := dupHandle(n.h)
	n.mu.Unlock()
	if err != nil {
		return err
	}
	defer h.Close()
	return doIn(h, fn)
}

// OpenNamespace returns a handle on an existing namespace that this package
// named, for `link exec` from another process. Closing it removes nothing.
func OpenNamespace(name string) (*Namespace, error) {
	h, err := netns.GetFromPath(filepath.Join(NamespaceDir, name))
	if err != nil {
		return nil, fmt.Errorf("netem: opening namespace %s: %w", name, err)
	}
	return &Namespace{Name: name, h: h}, nil
}

// Close releases the handle; the namespace itself is removed by its undo.
func (n *Namespace) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	return n.h.Close()
}

func dupHandle(h netns.NsHandle) (netns.NsHandle, error) {
	fd, err := unix.FcntlInt(uintptr(h), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return netns.None(), fmt.Errorf("netem: namespace handle: %w", err)
	}
	return netns.NsHandle(fd), nil
}

func doIn(h netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netem: reading the thread's namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(h); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netem: entering namespace: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// The thread stays locked and exits with this goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("netem: leaving namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// createNamespace makes a named namespace and returns it with its undo,
// which kills any process still inside and removes the bind mount.
func createNamespace(name string) (*Namespace, func() error, error) {
	if err := os.MkdirAll(NamespaceDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("netem: creating %s: %w%s", NamespaceDir, err, rootHint(err))
	}
	path := filepath.Join(NamespaceDir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return nil, nil, fmt.Errorf("netem: creating namespace %s: %w%s", name, err, rootHint(err))
	}
	f.Close()
	var h netns.NsHandle
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		merr := unix.Mount(self, path, "none", unix.MS_BIND, "")
		if merr == nil {
			h, merr = netns.Get()
		}
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(merr, err) // the thread dies locked
			return
		}
		runtime.UnlockOSThread()
		errc <- merr
	}()
	if err := <-errc; err != nil {
		_ = unix.Unmount(path, unix.MNT_DETACH)
		_ = os.Remove(path)
		return nil, nil, fmt.Errorf("netem: creating namespace %s: %w%s", name, err, rootHint(err))
	}
	ns := &Namespace{Name: name, h: h}
	return ns, func() error { return removeNamespace(ns) }, nil
}

// removeNamespace kills what runs inside ns and removes it. Not found is
// success, so it is safe to call twice.
func removeNamespace(ns *Namespace) error {
	kerr := killInNamespace(ns.Path())
	cerr := ns.Close()
	return errors.Join(kerr, cerr, unmountNamespace(ns.Name))
}

func unmountNamespace(name string) error {
	path := filepath.Join(NamespaceDir, name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("netem: unmounting %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("netem: removing %s: %w", path, err)
	}
	return nil
}

func rootHint(err error) string {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return "; run as root or grant CAP_NET_ADMIN and CAP_SYS_ADMIN"
	}
	return ""
}
