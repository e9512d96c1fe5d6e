package netem

import (
	"container/heap"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"
)

const (
	// headroom in front of every packet for the virtio-net header that the
	// TUN offloads need (wireguard-go's tun writes it there).
	headroom = 16
	// batch is how many packets one read can yield (a 64 KB TSO super-packet
	// split into MTU-sized segments) and how many one write may carry.
	batch = 128
	// maxSuper bounds one coalesced write (GRO) and so a write buffer.
	maxSuper = 65535
)

// packet is one IP packet waiting in a direction's delay line.
type packet struct {
	buf []byte // headroom + packet
	n   int
	due int64
}

// DirStats counts what one direction of the emulator did.
type DirStats struct {
	Packets    uint64 // released to the far end
	Bytes      uint64
	LossDrops  uint64 // dropped by loss
	QueueDrops uint64 // dropped by the full queue
	// Drops is every packet dropped, by loss or by the queue: LossDrops +
	// QueueDrops, unless DropsMixed.
	Drops uint64
	// DropsMixed means the backend cannot tell loss from queue drops (the
	// kernel's netem qdisc counts both as one): only Drops is known, and
	// LossDrops and QueueDrops are zero.
	DropsMixed bool
	// Late is how much later than due the release of packets happened, in
	// ns, at percentiles 50 and 99 of the most recent releases.
	LateP50, LateP99 time.Duration
}

// pipe moves packets from src to dst with one direction's impairment.
type pipe struct {
	src, dst tun.Device
	sh       *shaper // owned by the reader
	mtu      int
	epoch    time.Time
	wake     int // eventfd the reader kicks when it adds a new head
	stop     int // eventfd written once by close; wakes both loops for good

	mu     sync.Mutex
	fifo   []packet   // guarded by mu; used when packets keep their order
	fhead  int        // guarded by mu
	pq     packetHeap // guarded by mu; used with reorder
	closed bool       // guarded by mu

	pool sync.Pool

	packets, bytes, lossDrops, queueDrops atomic.Uint64
	late                                  lateRing
	wg                                    sync.WaitGroup
}

func newPipe(src, dst tun.Device, d Direction, mtu int, seed, stream uint64, epoch time.Time) (*pipe, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netem: eventfd: %w", err)
	}
	sfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(efd)
		return nil, fmt.Errorf("netem: eventfd: %w", err)
	}
	p := &pipe{src: src, dst: dst, sh: newShaper(d, seed, stream), mtu: mtu, epoch: epoch, wake: efd, stop: sfd}
	size := headroom + mtu + 256
	p.pool.New = func() any { b := make([]byte, size); return &b }
	return p, nil
}

func (p *pipe) now() int64 { return int64(time.Since(p.epoch)) }

func (p *pipe) start() {
	reserveProcs(2)
	p.wg.Add(2)
	go p.reader()
	go p.writer()
}

func (p *pipe) len() int {
	if p.sh.d.Reorder {
		return len(p.pq)
	}
	return len(p.fifo) - p.fhead
}

// reader takes packets off the source device as the kernel hands them over,
// decides their fate at once, and queues the survivors by due time.
func (p *pipe) reader() {
	defer p.wg.Done()
	// Waiting for the next packet in ppoll on a thread of its own, rather
	// than in Go's netpoller, saves the tens of microseconds that parking
	// and waking a goroutine costs; the read that follows never blocks.
	runtime.LockOSThread() // never unlocked: the thread exits with its priority
	realtime()
	var fd int = -1
	if rc, err := p.src.File().SyscallConn(); err == nil {
		rc.Control(func(f uintptr) { fd = int(f) })
	}
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(p.stop), Events: unix.POLLIN}}
	bufs := make([][]byte, batch)
	sizes := make([]int, batch)
	for i := range bufs {
		bufs[i] = *p.pool.Get().(*[]byte)
	}
	for {
		if fd >= 0 {
			// On EINTR (a child's SIGCHLD) poll again: reading now could
			// block in the netpoller, where the stop eventfd cannot reach.
			if _, err := unix.Ppoll(pfd, nil, nil); err != nil {
				if errors.Is(err, unix.EINTR) {
					continue
				}
				return
			}
			if pfd[1].Revents != 0 || pfd[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
				return
			}
			if pfd[0].Revents&unix.POLLIN == 0 {
				continue
			}
		}
		n, err := p.src.Read(bufs, sizes, headroom)
		if err != nil {
			if errors.Is(err, os.ErrClosed) || p.isClosed() {
				return
			}
			// A malformed super-packet: lose it, as a faulty NIC would.
			p.lossDrops.Add(1)
			continue
		}
		now := p.now()
		kick := false
		p.mu.Lock()
		for i := range n {
			due, v := p.sh.admit(now, sizes[i])
			switch v {
			case dropLoss:
				p.lossDrops.Add(1)
				continue
			case dropQueue:
				p.queueDrops.Add(1)
				continue
			}
			pk := packet{buf: bufs[i], n: sizes[i], due: due}
			if p.sh.d.Reorder {
				heap.Push(&p.pq, pk)
				kick = kick || p.pq[0].due == due
			} else {
				kick = kick || p.len() == 0
				p.fifo = append(p.fifo, pk)
			}
			bufs[i] = *p.pool.Get().(*[]byte)
		}
		p.mu.Unlock()
		if kick {
			p.kick()
		}
	}
}

func (p *pipe) kick() {
	one := uint64(1)
	_, _ = unix.Write(p.wake, (*[8]byte)(unsafe.Pointer(&one))[:])
}

func (p *pipe) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// writer releases packets when they are due. It runs on its own OS thread
// with a timer slack of 1 ns and sleeps in ppoll(2), whose timeout is an
// hrtimer: Go's timers would add about a millisecond of error. Every packet
// due by the time it wakes goes out in one batched write.
func (p *pipe) writer() {
	defer p.wg.Done()
	runtime.LockOSThread() // never unlocked: the thread exits with its slack
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	realtime()
	wbufs := make([][]byte, batch)
	for i := range wbufs {
		wbufs[i] = make([]byte, headroom+maxSuper)
	}
	out := make([][]byte, 0, batch)
	done := make([]packet, 0, batch)
	fds := []unix.PollFd{{Fd: int32(p.wake), Events: unix.POLLIN}, {Fd: int32(p.stop), Events: unix.POLLIN}}
	var drain [8]byte
	var early oversleep
	var spin spinBudget
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		var wait int64 = -1
		now := p.now()
		done = done[:0]
		for len(done) < batch && p.len() > 0 {
			pk := p.peek()
			if pk.due > now {
				wait = pk.due - now
				break
			}
			done = append(done, p.pop())
		}
		p.mu.Unlock()
		if len(done) > 0 {
			out = out[:0]
			for i, pk := range done {
				w := wbufs[i][:headroom+pk.n]
				copy(w[headroom:], pk.buf[headroom:headroom+pk.n])
				out = append(out, w)
			}
			// Errors here mean the far end is down or closing; the
			// packets are lost, as on a wire.
			_, _ = p.dst.Write(out, headroom)
			sent := p.now()
			for _, pk := range done {
				p.packets.Add(1)
				p.bytes.Add(uint64(pk.n))
				p.late.add(sent - pk.due)
				b := pk.buf
				p.pool.Put(&b)
			}
			continue
		}
		var ts *unix.Timespec
		if wait >= 0 {
			if wait <= early.margin() && spin.allow(now, wait) {
				// Close enough: spin to the due time rather than trust a
				// wake-up that this machine delivers late.
				for p.now() < now+wait {
				}
				continue
			}
			t := unix.NsecToTimespec(max(wait-early.margin(), 0))
			ts = &t
		}
		_, err := unix.Ppoll(fds, ts, nil)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		if ts != nil && fds[0].Revents == 0 && wait > early.margin() {
			early.observe(p.now() - (now + wait - early.margin()))
		}
		_, _ = unix.Read(p.wake, drain[:])
	}
}

func (p *pipe) peek() packet {
	if p.sh.d.Reorder {
		return p.pq[0]
	}
	return p.fifo[p.fhead]
}

func (p *pipe) pop() packet {
	if p.sh.d.Reorder {
		return heap.Pop(&p.pq).(packet)
	}
	pk := p.fifo[p.fhead]
	p.fifo[p.fhead] = packet{}
	p.fhead++
	if p.fhead == len(p.fifo) {
		p.fifo, p.fhead = p.fifo[:0], 0
	} else if p.fhead > 1024 && p.fhead > len(p.fifo)/2 {
		n := copy(p.fifo, p.fifo[p.fhead:])
		p.fifo, p.fhead = p.fifo[:n], 0
	}
	return pk
}

// close stops both loops and waits for them; the caller closes the
// devices afterwards.
func (p *pipe) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	one := uint64(1)
	_, _ = unix.Write(p.stop, (*[8]byte)(unsafe.Pointer(&one))[:])
	p.wg.Wait()
	reserveProcs(-2)
	unix.Close(p.wake)
	unix.Close(p.stop)
}

var (
	procsMu   sync.Mutex
	procsBase int // GOMAXPROCS before the first pipe; guarded by procsMu
	procsHeld int // threads of running pipes; guarded by procsMu
)

// reserveProcs keeps one Go P for each running emulator thread. The
// threads are locked and sleep in syscalls; returning from one, a thread
// needs a P, and with GOMAXPROCS at the core count those can all be held by
// the load's goroutines, parking a due packet's release for milliseconds.
// Idle Ps cost nothing: the threads block in the kernel, which schedules
// them (at real-time priority) against the rest.
func reserveProcs(n int) {
	procsMu.Lock()
	defer procsMu.Unlock()
	if procsHeld == 0 {
		procsBase = runtime.GOMAXPROCS(0)
	}
	procsHeld += n
	runtime.GOMAXPROCS(procsBase + procsHeld)
}

func (p *pipe) stats() DirStats {
	p50, p99 := p.late.percentiles()
	loss, queue := p.lossDrops.Load(), p.queueDrops.Load()
	return DirStats{
		Packets: p.packets.Load(), Bytes: p.bytes.Load(),
		LossDrops: loss, QueueDrops: queue, Drops: loss + queue,
		LateP50: time.Duration(p50), LateP99: time.Duration(p99),
	}
}

type packetHeap []packet

func (h packetHeap) Len() int           { return len(h) }
func (h packetHeap) Less(i, j int) bool { return h[i].due < h[j].due }
func (h packetHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *packetHeap) Push(x any)        { *h = append(*h, x.(packet)) }
func (h *packetHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = packet{}
	*h = old[:len(old)-1]
	return x
}

// lateRing keeps the release lateness of the last packets for Stats.
type lateRing struct {
	mu  sync.Mutex
	v   [4096]int64 // guarded by mu
	n   int         // guarded by mu
	pos int         // guarded by mu
}

func (r *lateRing) add(ns int64) {
	r.mu.Lock()
	r.v[r.pos] = ns
	r.pos = (r.pos + 1) % len(r.v)
	r.n = min(r.n+1, len(r.v))
	r.mu.Unlock()
}

func (r *lateRing) percentiles() (p50, p99 int64) {
	r.mu.Lock()
	vals := append([]int64(nil), r.v[:r.n]...)
	r.mu.Unlock()
	if len(vals) == 0 {
		return 0, 0
	}
	slices.Sort(vals)
	return vals[len(vals)*50/100], vals[min(len(vals)-1, len(vals)*99/100)]
}

// oversleep estimates how late this machine wakes a thread from a timed
// sleep (tens of µs in a VM, a few on bare metal) the way TCP estimates
// its RTO: a smoothed mean plus twice the mean deviation. The writer wakes
// that much early and spins the rest.
type oversleep struct {
	mean, dev int64
}

const (
	minMargin = 5_000   // ns
	maxMargin = 150_000 // ns: beyond this, spinning (at RT priority) costs the load more than it buys
)

func (o *oversleep) margin() int64 {
	if o.mean == 0 && o.dev == 0 {
		return 50_000
	}
	return min(max(o.mean+2*o.dev, minMargin), maxMargin)
}

func (o *oversleep) observe(late int64) {
	late = max(late, 0)
	d := late - o.mean
	o.mean += d / 8
	o.dev += (abs(d) - o.dev) / 4
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// realtime gives the calling thread a modest SCHED_FIFO priority, so that
// on a busy machine a due packet is not held up behind ordinary threads
// (the load generator, the servers). Without the privilege the thread
// keeps its normal priority; the kernel's RT throttling bounds the harm.
// The caller must hold the thread locked and never release it.
func realtime() {
	_ = unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 10}, 0)
}

// spinBudget caps the writer's spinning at a fifth of each 10 ms window.
// When packets are due back to back (a saturated link) the head is always
// within the margin; spinning then would hold a CPU at real-time priority
// for good and trip the kernel's RT throttling, which stalls every such
// thread for tens of milliseconds. Past the budget the writer sleeps and
// releases what is due in one batch when it wakes.
type spinBudget struct {
	window, spent int64
}

const (
	spinWindow = 10_000_000 // ns
	spinShare  = spinWindow / 5
)

func (b *spinBudget) allow(now, d int64) bool {
	if now-b.window >= spinWindow {
		b.window, b.spent = now, 0
	}
	if b.spent+d > spinShare {
		return false
	}
	b.spent += d
	return true
}
