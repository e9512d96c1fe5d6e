package netem

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"
)

// tunBackend is the userspace emulator: a TUN device in each namespace and
// one pipe per direction between them. TUN offloads (IFF_VNET_HDR with
// TSO) let the kernel hand over 64 KB super-packets that are split into
// MTU-sized segments before each is impaired, and coalesced again (GRO)
// on the way out, so the syscall count, not the packet count, bounds speed.
type tunBackend struct{}

func (tunBackend) Name() string { return BackendTUN }

// tunPath is a running emulator.
type tunPath struct {
	devs     [2]tun.Device
	up, down *pipe
	once     sync.Once
}

func (tunBackend) connect(client, server *Host, l Link) (path, error) {
	cdev, err := openTUN(client.NS)
	if err != nil {
		return nil, err
	}
	sdev, err := openTUN(server.NS)
	if err != nil {
		cdev.Close()
		return nil, err
	}
	mtu := l.PathMTU()
	epoch := time.Now()
	p := &tunPath{devs: [2]tun.Device{cdev, sdev}}
	if p.up, err = newPipe(cdev, sdev, l.Up, mtu, l.Seed, 1, epoch); err == nil {
		p.down, err = newPipe(sdev, cdev, l.Down, mtu, l.Seed, 2, epoch)
	}
	if err != nil {
		p.closeDevices()
		return nil, inStep(StepEmulator, err)
	}
	for _, h := range []*Host{client, server} {
		if err := h.configure(mtu); err != nil {
			p.closeDevices()
			return nil, inStep(StepAddress, err)
		}
	}
	p.up.start()
	p.down.start()
	return p, nil
}

// openTUN creates the TUN device inside ns. The device belongs to the
// namespace it was created in; its file descriptor works from anywhere.
func openTUN(ns *Namespace) (tun.Device, error) {
	fd := -1
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening /dev/net/tun: %w; load the tun module or create the device node (mknod /dev/net/tun c 10 200)", err)
		}
		ifr, err := unix.NewIfreq(ifName)
		if err != nil {
			return err
		}
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			return fmt.Errorf("creating TUN device: %w%s", err, rootHint(err))
		}
		return nil
	})
	if err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return nil, inStep(StepLink, fmt.Errorf("netem: %s: %w", ns.Name, err))
	}
	dev, _, err := tun.CreateUnmonitoredTUNFromFD(fd)
	if err != nil {
		unix.Close(fd)
		return nil, inStep(StepLink, fmt.Errorf("netem: %s: TUN offloads: %w", ns.Name, err))
	}
	return dev, nil
}

func (p *tunPath) closeDevices() error {
	var errs []error
	for _, d := range p.devs {
		if d != nil {
			if err := d.Close(); err != nil && !errors.Is(err, unix.EBADF) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Close stops the emulator; the devices vanish with their descriptors.
func (p *tunPath) Close() error {
	var err error
	p.once.Do(func() {
		p.up.close()
		p.down.close()
		err = p.closeDevices()
	})
	return err
}

func (p *tunPath) Stats() Stats {
	return Stats{Up: p.up.stats(), Down: p.down.stats()}
}
