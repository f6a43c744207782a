package output

import (
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The RTMP socket is kept nearly empty so that the backlog lives in the
// output's queue, where it is measured (queue_ms) and shed by priority:
// a write waits until the kernel holds less than notSentLowat of unsent
// bytes. The wait polls the unsent count: waiting for the socket to turn
// writable (TCP_NOTSENT_LOWAT plus epoll) is not enough, since the kernel
// only wakes a writer that a poll saw blocked, and Go's edge-triggered
// poller never asks again, so a throttled link looked stalled.
// Bytes in flight are bounded by the congestion window, so the link's
// throughput is not limited, unlike with a tiny send buffer alone.
const (
	// sendBuffer bounds the kernel's share (in flight plus unsent).
	sendBuffer   = 512 << 10
	notSentLowat = 16 << 10
	// writeTimeout bounds one message however slowly it progresses; the
	// watchdog catches a stalled peer much sooner.
	writeTimeout = 20 * time.Second
	// stallAfter: a write that has waited this long without the server
	// acknowledging a single byte means the server stopped reading.
	stallAfter = 3 * time.Second
	// stallCheck is how often the watchdog looks.
	stallCheck = 250 * time.Millisecond
)

// socketWatch holds an RTMP connection's TCP socket to a small unsent
// backlog and notices a peer that stops reading.
type socketWatch struct {
	raw syscall.RawConn
	// roomFn is w.checkRoom bound once, so that waiting does not
	// allocate; hasRoom is its answer (writer goroutine only).
	roomFn  func(fd uintptr)
	hasRoom bool
	// ackedFn is w.readAcked bound once; ackedN its answer (watchdog only).
	ackedFn func(fd uintptr)
	ackedN  uint64

	// waitingSince is when the current write began (unix ns; 0: none).
	waitingSince atomic.Int64
	stalled      atomic.Bool
	stop         chan struct{}
	done         chan struct{}
}

// watchSocket tunes nc's socket and starts the stall watchdog; ok is false
// when nc is not TCP underneath (then nothing is watched).
func watchSocket(nc net.Conn) (*socketWatch, bool) {
	tc, ok := tcpConn(nc)
	if !ok {
		return nil, false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil, false
	}
	_ = tc.SetWriteBuffer(sendBuffer)
	_ = tc.SetNoDelay(true)
	_ = raw.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, notSentLowat)
	})
	w := &socketWatch{raw: raw, stop: make(chan struct{}), done: make(chan struct{})}
	w.roomFn, w.ackedFn = w.checkRoom, w.readAcked
	go w.watch(nc)
	return w, true
}

// checkRoom says (in hasRoom) whether the kernel holds little enough
// unsent data for the next message.
func (w *socketWatch) checkRoom(fd uintptr) {
	var unsent int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, unix.SIOCOUTQNSD, uintptr(unsafe.Pointer(&unsent)))
	w.hasRoom = errno != 0 || unsent < notSentLowat
}

// roomPoll is how often a waiting write looks at the socket again.
const roomPoll = 2 * time.Millisecond

// beginWrite waits for room in the socket and marks a write as under way
// for the watchdog, which ends the wait when the peer stops reading.
func (w *socketWatch) beginWrite() error {
	if w.stalled.Load() {
		// Found out between writes: the deadline it set may since have
		// been pushed back by this write's own.
		return os.ErrDeadlineExceeded
	}
	start := time.Now()
	w.waitingSince.Store(start.UnixNano())
	for {
		if err := w.raw.Control(w.roomFn); err != nil {
			return err
		}
		if w.hasRoom {
			return nil
		}
		if w.stalled.Load() || time.Since(start) > writeTimeout {
			return os.ErrDeadlineExceeded
		}
		time.Sleep(roomPoll)
	}
}

// endWrite marks the write as finished.
func (w *socketWatch) endWrite() { w.waitingSince.Store(0) }

// watch ends a write that makes no progress: when a write has waited for
// stallAfter and the server has acknowledged nothing in that time, the
// deadline is moved to now so that the write fails at once.
func (w *socketWatch) watch(nc net.Conn) {
	defer close(w.done)
	t := time.NewTicker(stallCheck)
	defer t.Stop()
	var acked uint64
	var progress time.Time
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			since := w.waitingSince.Load()
			if since == 0 {
				progress = time.Time{} // idle: nothing to judge, nothing to read
				continue
			}
			if a := w.acked(); progress.IsZero() || a != acked {
				acked, progress = a, now
			}
			from := time.Unix(0, since)
			if progress.After(from) {
				from = progress
			}
			if now.Sub(from) >= stallAfter {
				w.stalled.Store(true)
				_ = nc.SetWriteDeadline(now)
				return
			}
		}
	}
}

// acked is the count of bytes the server has acknowledged.
func (w *socketWatch) acked() uint64 {
	_ = w.raw.Control(w.ackedFn)
	return w.ackedN
}

func (w *socketWatch) readAcked(fd uintptr) {
	if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
		w.ackedN = info.Bytes_acked
	}
}

// close stops the watchdog.
func (w *socketWatch) close() {
	close(w.stop)
	<-w.done
}
