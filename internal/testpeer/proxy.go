package testpeer

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// proxyRecvBuffer is the receive buffer of each accepted socket: small,
	// so that a backlog behind a rate limit or a stall stays in the
	// sender's socket (where the sender sees it) and not in the proxy.
	proxyRecvBuffer = 16 << 10
	// proxyChunk is how much one read takes from a client while a rate
	// limit is on; proxyChunkFree is the read size without a limit.
	proxyChunk     = 2 << 10
	proxyChunkFree = 32 << 10
	// proxyDialTimeout bounds the connection to the target.
	proxyDialTimeout = 5 * time.Second
	// proxyMSS is the segment size the proxy asks of clients. Loopback's
	// own (about 64 KiB) is larger than proxyRecvBuffer, and a receiver
	// only reopens its window a segment at a time, so a throttled loopback
	// link stalls on zero-window probes for seconds; the internet's
	// segment size keeps the window moving as the proxy reads.
	proxyMSS = 1400
)

// Proxy is a loopback TCP proxy between a client under test and a real
// server, for network-failure tests: it limits the client→server rate,
// stalls (accepts but stops reading), and drops connections on demand.
//
// The rate limit and the stall are one gate shared by every connection,
// like the uplink of the client's network; the server→client direction is
// never limited.
type Proxy struct {
	target string
	ln     net.Listener
	gate   gate
	done   chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[*proxyConn]struct{}

	accepted  atomic.Int64
	forwarded atomic.Int64
}

// proxyConn is one accepted client and its connection to the target.
type proxyConn struct {
	client, server net.Conn
	once           sync.Once
}

func (c *proxyConn) close() {
	c.once.Do(func() {
		c.client.Close()
		if c.server != nil {
			c.server.Close()
		}
	})
}

// StartProxy listens on 127.0.0.1:0 and forwards every accepted connection
// to target (host:port). t.Cleanup closes the listener and every
// connection and waits for the proxy's goroutines.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, proxyMSS)
		})
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testpeer: proxy listen: %v", err)
	}
	p := &Proxy{target: target, ln: ln, done: make(chan struct{}), conns: map[*proxyConn]struct{}{}}
	p.gate.changed = make(chan struct{})
	p.wg.Add(1)
	go p.acceptLoop(t)
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
		p.DropConns()
		p.wg.Wait()
	})
	return p
}

// Addr returns the proxy's address, "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port returns the proxy's TCP port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// SetRate limits the client→server direction to bytesPerSec, shared by
// every connection (0: unlimited). It applies at once, to live connections
// too; the bucket starts empty, so a lower rate has no leftover burst.
func (p *Proxy) SetRate(bytesPerSec int) { p.gate.setRate(bytesPerSec) }

// Stall stops (on) or resumes (off) reading from every client, existing
// and new: new connections are still accepted but never read, like a peer
// that accepts and never reads. The client's writes then block once its
// socket buffer and the proxy's small receive buffer are full.
func (p *Proxy) Stall(on bool) { p.gate.setStall(on) }

// DropConns closes every live connection, both sides, now. The proxy keeps
// accepting new ones.
func (p *Proxy) DropConns() {
	p.mu.Lock()
	defer p.mu.Unlock() // serve sets c.server under mu: close sees it whole
	for c := range p.conns {
		c.close()
	}
	p.conns = map[*proxyConn]struct{}{}
}

// Accepted returns how many connections the proxy has accepted so far.
func (p *Proxy) Accepted() int { return int(p.accepted.Load()) }

// BytesForwarded returns how many bytes went from clients to the target.
func (p *Proxy) BytesForwarded() int64 { return p.forwarded.Load() }

func (p *Proxy) acceptLoop(t testing.TB) {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			select {
			case <-p.done:
			default:
				t.Logf("testpeer: proxy accept: %v", err)
			}
			return
		}
		p.accepted.Add(1)
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(proxyRecvBuffer)
		}
		c := &proxyConn{client: nc}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve dials the target and copies both ways until either side ends.
func (p *Proxy) serve(c *proxyConn) {
	defer p.wg.Done()
	defer p.forget(c)
	server, err := net.DialTimeout("tcp", p.target, proxyDialTimeout)
	if err != nil {
		c.close() // like a server that refused: the client sees the close
		return
	}
	p.mu.Lock()
	_, live := p.conns[c]
	c.server = server
	p.mu.Unlock()
	if !live { // dropped while dialling
		server.Close()
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(c.client, server)
		c.close()
	}()
	p.upstream(c)
	c.close()
}

// upstream copies client→server through the gate.
func (p *Proxy) upstream(c *proxyConn) {
	buf := make([]byte, proxyChunkFree)
	for {
		n, ok := p.gate.take(len(buf), p.done)
		if !ok {
			return
		}
		got, err := c.client.Read(buf[:n])
		p.gate.refund(n - got)
		if got > 0 {
			w, werr := c.server.Write(buf[:got])
			p.forwarded.Add(int64(w))
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) forget(c *proxyConn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// gate is the token bucket and stall switch in front of every client read.
type gate struct {
	mu      sync.Mutex
	rate    int // bytes per second; 0: unlimited
	stalled bool
	tokens  float64
	last    time.Time
	changed chan struct{} // closed and replaced on every change
}

var errGateClosed = errors.New("proxy closed")

func (g *gate) setRate(bytesPerSec int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rate = max(bytesPerSec, 0)
	g.tokens, g.last = 0, time.Now()
	g.notify()
}

func (g *gate) setStall(on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stalled = on
	g.last = time.Now() // no tokens saved up while stalled
	g.notify()
}

func (g *gate) notify() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// burst is how many tokens the bucket holds at most: 200 ms at the rate,
// at least a few chunks, so that a reader scheduled late on a loaded
// machine does not lose its share (the rate would come out low).
func (g *gate) burst() float64 {
	return max(float64(g.rate)/5, 4*proxyChunk)
}

// take blocks until a read may happen and returns its size (at most
// limit, one small chunk under a rate limit); false when done is closed.
// The caller refunds what the read did not use.
func (g *gate) take(limit int, done <-chan struct{}) (int, bool) {
	for {
		g.mu.Lock()
		changed := g.changed
		var wait time.Duration
		switch {
		case g.stalled:
			wait = -1
		case g.rate == 0:
			g.mu.Unlock()
			return limit, true
		default:
			now := time.Now()
			g.tokens = min(g.tokens+now.Sub(g.last).Seconds()*float64(g.rate), g.burst())
			g.last = now
			want := min(limit, proxyChunk)
			if g.tokens >= float64(want) {
				g.tokens -= float64(want)
				g.mu.Unlock()
				return want, true
			}
			wait = time.Duration((float64(want) - g.tokens) / float64(g.rate) * float64(time.Second))
		}
		g.mu.Unlock()
		if err := sleepUnless(wait, changed, done); err != nil {
			return 0, false
		}
	}
}

// refund returns tokens a read took but did not use.
func (g *gate) refund(n int) {
	if n <= 0 {
		return
	}
	g.mu.Lock()
	if g.rate > 0 {
		g.tokens = min(g.tokens+float64(n), g.burst())
	}
	g.mu.Unlock()
}

// sleepUnless sleeps for d (forever when d < 0) or until changed is
// closed; it fails when done is closed.
func sleepUnless(d time.Duration, changed, done <-chan struct{}) error {
	var timeout <-chan time.Time
	if d >= 0 {
		tm := time.NewTimer(d)
		defer tm.Stop()
		timeout = tm.C
	}
	select {
	case <-timeout:
	case <-changed:
	case <-done:
		return errGateClosed
	}
	return nil
}
