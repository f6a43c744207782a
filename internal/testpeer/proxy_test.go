package testpeer

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sink is a plain TCP server that reads and counts everything it gets.
type sink struct {
	ln       net.Listener
	received atomic.Int64
}

func startSink(t *testing.T) *sink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &sink{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(counter{&s.received}, c)
				c.Close()
			}()
		}
	}()
	return s
}

// counter is an io.Writer that only counts.
type counter struct{ n *atomic.Int64 }

func (c counter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// addr returns the sink's host:port.
func (s *sink) addr() string { return s.ln.Addr().String() }

// startFlood dials addr and writes as fast as the connection takes until
// the test ends; it returns the connection.
func startFlood(t *testing.T, addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	return c
}

// measureRate samples what the sink received over d, in bytes per second.
func (s *sink) measureRate(d time.Duration) float64 {
	b0, t0 := s.received.Load(), time.Now()
	time.Sleep(d)
	return float64(s.received.Load()-b0) / time.Since(t0).Seconds()
}

func TestProxyRateLimit(t *testing.T) {
	s := startSink(t)
	p := StartProxy(t, s.addr())
	p.SetRate(200_000)
	startFlood(t, p.Addr())
	time.Sleep(300 * time.Millisecond) // let the first burst pass
	rate := s.measureRate(3 * time.Second)
	t.Logf("limited to 200000 B/s: measured %.0f B/s", rate)
	require.InEpsilon(t, 200_000, rate, 0.15)

	// A new rate applies to the live connection at once.
	p.SetRate(50_000)
	time.Sleep(200 * time.Millisecond)
	rate = s.measureRate(2 * time.Second)
	t.Logf("limited to 50000 B/s: measured %.0f B/s", rate)
	require.InEpsilon(t, 50_000, rate, 0.15)

	require.InDelta(t, s.received.Load(), p.BytesForwarded(), 8<<10, "BytesForwarded counts what the server got")

	p.SetRate(0)
	rate = s.measureRate(500 * time.Millisecond)
	t.Logf("unlimited: measured %.0f B/s", rate)
	require.Greater(t, rate, 5_000_000.0)
	require.Equal(t, 1, p.Accepted())
}

// writeUntilTimeout writes with a 2 s deadline per write until a write
// fails; it returns the error and how many bytes went out.
func writeUntilTimeout(c net.Conn, limit time.Duration) (int64, error) {
	buf := make([]byte, 64<<10)
	var total int64
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Write(buf)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func TestProxyStall(t *testing.T) {
	s := startSink(t)
	p := StartProxy(t, s.addr())

	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.BytesForwarded() == 5 }, 2*time.Second, 10*time.Millisecond)

	p.Stall(true)
	start := time.Now()
	sent, err := writeUntilTimeout(c, 20*time.Second)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "a stalled proxy must block the writer")
	t.Logf("stalled after %d bytes in %v; %d forwarded", sent, time.Since(start).Round(time.Millisecond), p.BytesForwarded())
	require.Less(t, p.BytesForwarded(), int64(128<<10), "the proxy kept reading while stalled")

	// A new connection is accepted but never read.
	c2, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c2.Close()
	require.Eventually(t, func() bool { return p.Accepted() == 2 }, 2*time.Second, 10*time.Millisecond)
	before := p.BytesForwarded()
	_, err = writeUntilTimeout(c2, 20*time.Second)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.Equal(t, before, p.BytesForwarded())

	// Resuming drains the backlog and writes go through again.
	p.Stall(false)
	resumed := time.Now()
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Write(make([]byte, 64<<10))
	require.NoError(t, err)
	t.Logf("write went through %v after resuming", time.Since(resumed).Round(time.Millisecond))
	require.Eventually(t, func() bool { return p.BytesForwarded() > before+int64(sent)/2 }, 5*time.Second, 20*time.Millisecond)
}

func TestProxyDropConns(t *testing.T) {
	s := startSink(t)
	p := StartProxy(t, s.addr())
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.BytesForwarded() == 4 }, 2*time.Second, 10*time.Millisecond)

	p.DropConns()
	// Both sides see the connection end.
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.True(t, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), "client read: %v", err)
	require.Eventually(t, func() bool { return s.received.Load() == 4 }, 2*time.Second, 10*time.Millisecond)

	// The proxy still accepts, and forwards, new connections.
	c2, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c2.Close()
	_, err = c2.Write([]byte("again"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.BytesForwarded() == 9 }, 2*time.Second, 10*time.Millisecond)
	require.Equal(t, 2, p.Accepted())
}

func TestProxyServerToClientUnlimited(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	const size = 4 << 20
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Write(make([]byte, size))
	}()
	p := StartProxy(t, ln.Addr().String())
	p.SetRate(10_000)
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	n, err := io.Copy(io.Discard, c)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	require.Less(t, time.Since(start), 3*time.Second, "server→client must not be limited")
}
