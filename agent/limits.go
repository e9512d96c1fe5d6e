package agent

import (
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// FDSlack is the descriptors the agent needs besides its connections:
// stdio, the runtime's epoll and pipes, with room.
const FDSlack = 64

// raiseNoFile lets the load agent open the descriptors cfg's load may need:
// it raises the soft RLIMIT_NOFILE, and as root the hard one, to the
// connections MaxConns allows for plus FDSlack, and says so on stderr. It
// fails, before any request, if the limit cannot be raised that far.
func raiseNoFile(cfg Config, stderr io.Writer) error {
	need := uint64(MaxConns(cfg) + FDSlack)
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("load agent: reading RLIMIT_NOFILE: %w", err)
	}
	if rl.Cur >= need {
		return nil
	}
	was := rl
	rl.Cur = need
	if rl.Max < need {
		rl.Max = need
	}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("load agent: the load may hold %d connections open and needs %d descriptors, but RLIMIT_NOFILE is %d (hard %d) and raising it failed: %w; raise the hard limit (ulimit -Hn) or run with CAP_SYS_RESOURCE", need-FDSlack, need, was.Cur, was.Max, err)
	}
	fmt.Fprintf(stderr, "load agent: raised RLIMIT_NOFILE from %d (hard %d) to %d (hard %d) for up to %d connections\n", was.Cur, was.Max, rl.Cur, rl.Max, need-FDSlack)
	return nil
}
