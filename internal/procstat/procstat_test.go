package procstat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadSeesWork(t *testing.T) {
	before, ok := Read()
	require.True(t, ok)
	require.Greater(t, before.RSS, int64(1<<20), "a Go test binary holds more than 1 MB")
	// Burn CPU until the kernel has accounted at least 50 ms to us.
	x := 0
	deadline := time.Now().Add(5 * time.Second)
	var after Sample
	for time.Now().Before(deadline) {
		for i := 0; i < 1e6; i++ {
			x += i
		}
		after, _ = Read()
		if after.CPU-before.CPU >= 50*time.Millisecond {
			break
		}
	}
	require.GreaterOrEqual(t, after.CPU-before.CPU, 50*time.Millisecond, "busy loop (%d) not accounted", x)
	pct := CPUPercent(before, after)
	require.Greater(t, pct, 20.0)
	require.LessOrEqual(t, pct, 210.0)
	require.Zero(t, CPUPercent(after, after))
}
