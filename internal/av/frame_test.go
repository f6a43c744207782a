package av_test

import (
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/filters"
	"studio/internal/av"
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
	require.Len(t, av.PlanarFloat(f, 0), 1024)
	require.Len(t, av.PlanarFloat(f, 1), 1024)
	require.Nil(t, av.PlanarFloat(f, 2), "no third channel")
	require.Nil(t, av.PlanarFloat(f, -1))
	clear(av.PlanarFloat(f, 0))
	av.PlanarFloat(f, 1)[5] = 0.25
	require.Equal(t, float32(0.25), av.PlanarFloat(f, 1)[5], "a view, not a copy")
	require.Equal(t, float32(0), av.PlanarFloat(f, 0)[5], "channels are separate planes")
}

func TestPackedFloatIsInterleaved(t *testing.T) {
	f := audioFrame(t, astiav.SampleFormatFlt, 480)
	s := av.PackedFloat(f, 2)
	require.Len(t, s, 960)
	clear(s)
	s[1] = -0.5 // the first right sample
	// FFmpeg's own conversion to planar must find it at right[0].
	f.SetPts(0)
	g, err := filters.NewAudio("aformat=sample_fmts=fltp", f, astiav.NewRational(1, 48000))
	require.NoError(t, err)
	defer g.Close()
	require.NoError(t, g.Push(f))
	out := astiav.AllocFrame()
	defer out.Free()
	require.NoError(t, g.Pull(out))
	require.Equal(t, float32(-0.5), av.PlanarFloat(out, 1)[0])
	require.Equal(t, float32(0), av.PlanarFloat(out, 0)[0])
}

func TestMakeWritableCopiesSharedBuffers(t *testing.T) {
	a := audioFrame(t, astiav.SampleFormatFltp, 64)
	av.PlanarFloat(a, 0)[0] = 1
	b := astiav.AllocFrame()
	defer b.Free()
	require.NoError(t, b.Ref(a))
	require.NoError(t, av.MakeWritable(b))
	av.PlanarFloat(b, 0)[0] = 2
	require.Equal(t, float32(1), av.PlanarFloat(a, 0)[0], "the other reference keeps its samples")
}

func TestPackedPlane(t *testing.T) {
	f := astiav.AllocFrame()
	defer f.Free()
	f.SetWidth(10)
	f.SetHeight(4)
	f.SetPixelFormat(astiav.PixelFormatRgba)
	require.NoError(t, f.AllocBuffer(1))
	p, stride := av.PackedPlane(f)
	require.GreaterOrEqual(t, stride, 40)
	require.Len(t, p, stride*4)
}

func TestPlaneCoversEachYUVPlane(t *testing.T) {
	f := astiav.AllocFrame()
	defer f.Free()
	f.SetWidth(10)
	f.SetHeight(5)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	require.NoError(t, f.AllocBuffer(0))
	y, ys := av.Plane(f, 0)
	require.GreaterOrEqual(t, ys, 10)
	require.Len(t, y, ys*5)
	u, us := av.Plane(f, 1)
	require.GreaterOrEqual(t, us, 5)
	require.Len(t, u, us*3, "chroma rows round up")
	y[0], u[0] = 7, 9
	data, err := f.Data().Bytes(1)
	require.NoError(t, err)
	require.Equal(t, byte(7), data[0], "a view, not a copy")
	p, _ := av.Plane(f, 3)
	require.Nil(t, p, "no fourth plane")
}
