package filters

import (
	"errors"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

// TestPullStatuses: frames come out, then EAGAIN from a graph waiting for
// input and EOF after the end, as astiav's own errors (errors.Is works).
func TestPullStatuses(t *testing.T) {
	src := astiav.AllocFrame()
	defer src.Free()
	src.SetNbSamples(1024)
	src.SetSampleFormat(astiav.SampleFormatFltp)
	src.SetSampleRate(48000)
	src.SetChannelLayout(astiav.ChannelLayoutStereo)
	require.NoError(t, src.AllocBuffer(0))
	src.SetPts(0)
	g, err := NewAudio("anull", src, astiav.NewRational(1, 48000))
	require.NoError(t, err)
	defer g.Close()
	out := astiav.AllocFrame()
	defer out.Free()

	require.True(t, errors.Is(g.Pull(out), astiav.ErrEagain), "nothing in yet")
	require.NoError(t, g.Push(src))
	require.NoError(t, g.Pull(out))
	require.Equal(t, 1024, out.NbSamples())
	out.Unref()
	require.NoError(t, g.Push(nil))
	require.True(t, errors.Is(g.Pull(out), astiav.ErrEof))
	allocs := testing.AllocsPerRun(100, func() { _ = g.Pull(out) })
	require.Zero(t, allocs, "a status costs no allocation")
}

// TestSendCommand: a runtime option reaches the running filter (volume's
// gain shows in the samples); an unknown one is an error naming it.
func TestSendCommand(t *testing.T) {
	src := astiav.AllocFrame()
	defer src.Free()
	src.SetNbSamples(4)
	src.SetSampleFormat(astiav.SampleFormatFlt)
	src.SetSampleRate(48000)
	src.SetChannelLayout(astiav.ChannelLayoutMono)
	require.NoError(t, src.AllocBuffer(0))
	g, err := NewAudio("volume=1:precision=float", src, astiav.NewRational(1, 48000))
	require.NoError(t, err)
	defer g.Close()
	out := astiav.AllocFrame()
	defer out.Free()
	run := func() float32 {
		require.NoError(t, av.MakeWritable(src))
		for i := range av.PackedFloat(src, 1) {
			av.PackedFloat(src, 1)[i] = 0.5
		}
		require.NoError(t, g.Push(src))
		require.NoError(t, g.Pull(out))
		defer out.Unref()
		return av.PackedFloat(out, 1)[0]
	}
	require.Equal(t, float32(0.5), run())
	require.NoError(t, g.SendCommand("volume", "volume", "2"))
	require.Equal(t, float32(1), run(), "the new gain on the next frame")
	require.ErrorContains(t, g.SendCommand("volume", "nonsense", "1"), "volume nonsense=1")
}
