package output

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSocketWatchWaitAllocatesNothing: the check made before every message
// costs no allocation, and a socket with nothing unsent has room.
func TestSocketWatchWaitAllocatesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			buf := make([]byte, 1<<16)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	w, ok := watchSocket(c)
	require.True(t, ok)
	defer w.close()
	require.NoError(t, w.beginWrite())
	w.endWrite()
	require.True(t, w.hasRoom)
	require.Zero(t, testing.AllocsPerRun(200, func() {
		_ = w.beginWrite()
		w.endWrite()
	}))
}
