package filters

import (
	"errors"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
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
