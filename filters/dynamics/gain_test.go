package dynamics

import (
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGainRampsToNewValue(t *testing.T) {
	g, err := NewGain(rate, 2, GainConfig{GainDB: -6})
	require.NoError(t, err)
	k := float32(lin(-6))
	ones := make([]float32, 3*block)
	for i := range ones {
		ones[i] = 1
	}
	out := run(t, g, 2, ones[:block], block)
	for _, v := range out[0] {
		require.Equal(t, k, v, "the configured gain from the first sample")
	}

	g.SetGainDB(6)
	require.Equal(t, 6.0, g.GainDB())
	out = run(t, g, 2, ones[:2*block], block)
	k2 := float32(lin(6))
	for i := 0; i < block; i++ {
		want := k + (k2-k)*float32(i+1)/block
		require.InDelta(t, want, out[0][i], 1e-5, "sample %d: a linear ramp across one block", i)
	}
	for _, v := range out[1][block:] {
		require.Equal(t, k2, v)
	}

	g.SetEnabled(false)
	out = run(t, g, 2, ones[:2*block], block)
	require.InDelta(t, k2+(1-k2)/block, out[0][0], 1e-5, "ramps back to unity")
	require.Equal(t, ones[:block], out[0][block:], "bypassed: unity")
	require.False(t, g.Enabled())
}

func TestGainLimits(t *testing.T) {
	g, err := NewGain(rate, 1, GainConfig{GainDB: MinGainDB})
	require.NoError(t, err)
	out := run(t, g, 1, sine(nil, block, 440, 0.5), block)
	for _, v := range out[0] {
		require.Zero(t, v, "at the bottom of the fader: silence")
	}
	g.SetGainDB(100)
	require.Equal(t, MaxGainDB, g.GainDB(), "clamped")
	g.SetGainDB(math.NaN())
	require.Equal(t, MaxGainDB, g.GainDB(), "NaN ignored")
	_, err = NewGain(rate, 1, GainConfig{GainDB: 40})
	require.Error(t, err)
}

// TestGainLiveFromAnotherGoroutine is for -race: setters and Process run
// on different goroutines.
func TestGainLiveFromAnotherGoroutine(t *testing.T) {
	g, err := NewGain(rate, 2, DefaultGainConfig())
	require.NoError(t, err)
	lim, err := NewLimiter(rate, 2, DefaultLimiterConfig())
	require.NoError(t, err)
	gate, err := NewGate(rate, 2, DefaultGateConfig())
	require.NoError(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			g.SetGainDB(float64(i%20) - 10)
			g.SetEnabled(i%3 != 0)
			lim.SetEnabled(i%5 != 0)
			gate.SetEnabled(i%7 != 0)
		}
	}()
	p := stereo(block)
	for i := 0; i < 200; i++ {
		require.NoError(t, g.Process(p))
		require.NoError(t, gate.Process(p))
		require.NoError(t, lim.Process(p))
	}
	close(stop)
	wg.Wait()
}

func TestGainAllocatesNothing(t *testing.T) {
	g, err := NewGain(rate, 2, GainConfig{GainDB: -3})
	require.NoError(t, err)
	p := stereo(block)
	i := 0
	require.Zero(t, testing.AllocsPerRun(100, func() {
		i++
		g.SetGainDB(float64(i % 4))
		_ = g.Process(p)
	}))
}
