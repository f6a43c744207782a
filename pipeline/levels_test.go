package pipeline

import (
	"math"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/filters"
)

func TestDBFS(t *testing.T) {
	for _, tc := range []struct {
		v, want float64
	}{
		{1, 0},
		{0.5, -6.0},
		{math.Sqrt2 / 2, -3.0},
		{0.125, -18.1},
		{0.1, -20},
		{0.001, -60},
		{2, 6.0},
		{1e-6, -120},
		{0, -120},
	} {
		require.Equal(t, tc.want, dbfs(tc.v), "dbfs(%v)", tc.v)
	}
}

// sineFrames generates n stereo fltp frames of a 1 kHz sine at amplitude amp.
func sineFrames(t *testing.T, amp string, n int, each func(*astiav.Frame)) {
	t.Helper()
	desc := "aevalsrc=" + amp + "*sin(2*PI*1000*t)|" + amp + "*sin(2*PI*1000*t):s=48000:n=1024:c=stereo," +
		"aformat=sample_fmts=fltp:channel_layouts=stereo"
	g, err := filters.NewGenerator(desc, true)
	require.NoError(t, err)
	defer g.Close()
	f := astiav.AllocFrame()
	defer f.Free()
	for i := 0; i < n; i++ {
		require.NoError(t, g.Pull(f))
		require.Equal(t, astiav.SampleFormatFltp, f.SampleFormat())
		require.Equal(t, 1024, f.NbSamples())
		each(f)
		f.Unref()
	}
}

func TestLevelMeterSine(t *testing.T) {
	for _, tc := range []struct {
		amp       string
		peak, rms float64
	}{
		{"0.5", -6.0, -9.0},
		{"1.0", 0, -3.0},
		{"0.125", -18.1, -21.1},
	} {
		t.Run(tc.amp, func(t *testing.T) {
			var m levelMeter
			sineFrames(t, tc.amp, 47, func(f *astiav.Frame) {
				m.merge(measure(f, 2))
			})
			peak, rms, measured := m.take()
			require.True(t, measured)
			require.InDelta(t, tc.peak, peak, 0.1)
			require.InDelta(t, tc.rms, rms, 0.1)
			peak, rms, measured = m.take()
			require.Equal(t, -120.0, peak, "take resets the meter")
			require.Equal(t, -120.0, rms)
			require.False(t, measured, "nothing measured after a reset")
		})
	}
}

func TestLevelMeterOneChannelSilent(t *testing.T) {
	// Only the left channel carries the tone: RMS over both is 3 dB lower.
	g, err := filters.NewGenerator("aevalsrc=0.5*sin(2*PI*1000*t)|0:s=48000:n=1024:c=stereo,aformat=sample_fmts=fltp", true)
	require.NoError(t, err)
	defer g.Close()
	f := astiav.AllocFrame()
	defer f.Free()
	var m levelMeter
	for i := 0; i < 10; i++ {
		require.NoError(t, g.Pull(f))
		m.merge(measure(f, 2))
		f.Unref()
	}
	peak, rms, _ := m.take()
	require.InDelta(t, -6.0, peak, 0.1)
	require.InDelta(t, -12.0, rms, 0.1)
}

func TestLevelMeterAddAllocs(t *testing.T) {
	var m levelMeter
	var allocs float64
	sineFrames(t, "0.5", 1, func(f *astiav.Frame) {
		allocs = testing.AllocsPerRun(100, func() { m.merge(measure(f, 2)) })
	})
	require.Zero(t, allocs)
}
