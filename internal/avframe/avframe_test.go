package avframe

import (
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
)

func audioFrame(t *testing.T, format astiav.SampleFormat, samples int) *astiav.Frame {
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetNbSamples(samples)
	f.SetSampleFormat(format)
	f.SetSampleRate(48000)
	f.SetChannelLayout(astiav.ChannelLayoutStereo)
	require.NoError(t, f.AllocBuffer(0))
	return f
}

func TestPlanarFloatSeesEachChannel(t *testing.T) {
	f := audioFrame(t, astiav.SampleFormatFltp, 1024)
	require.Len(t, PlanarFloat(f, 0), 1024)
	require.Len(t, PlanarFloat(f, 1), 1024)
	require.Nil(t, PlanarFloat(f, 2), "no third channel")
	require.Nil(t, PlanarFloat(f, -1))
	PlanarFloat(f, 1)[5] = 0.25
	b, err := f.Data().Bytes(1)
	require.NoError(t, err)
	// Plane 1 follows plane 0 in the copied bytes: 1024 floats, then index 5.
	require.Equal(t, []byte{0, 0, 0x80, 0x3e}, b[(1024+5)*4:(1024+6)*4])
}

func TestPackedFloatIsInterleaved(t *testing.T) {
	f := audioFrame(t, astiav.SampleFormatFlt, 480)
	s := PackedFloat(f, 2)
	require.Len(t, s, 960)
	s[1] = -0.5 // first right sample
	b, err := f.Data().Bytes(1)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 0, 0, 0xbf}, b[4:8])
}

func TestMakeWritableCopiesSharedBuffers(t *testing.T) {
	a := audioFrame(t, astiav.SampleFormatFltp, 64)
	PlanarFloat(a, 0)[0] = 1
	b := astiav.AllocFrame()
	defer b.Free()
	require.NoError(t, b.Ref(a))
	require.NoError(t, MakeWritable(b))
	PlanarFloat(b, 0)[0] = 2
	require.Equal(t, float32(1), PlanarFloat(a, 0)[0], "the other reference keeps its samples")
}

func TestPackedPlane(t *testing.T) {
	f := astiav.AllocFrame()
	defer f.Free()
	f.SetWidth(10)
	f.SetHeight(4)
	f.SetPixelFormat(astiav.PixelFormatRgba)
	require.NoError(t, f.AllocBuffer(1))
	p, stride := PackedPlane(f)
	require.GreaterOrEqual(t, stride, 40)
	require.Len(t, p, stride*4)
}
