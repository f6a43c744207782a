package beauty

import (
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/filters"
	"studio/internal/av"
)

// The stage is a filters.Video with the live strength the filter chain
// drives.
var (
	_ filters.Video                     = (*Beauty)(nil)
	_ interface{ SetStrength(float64) } = (*Beauty)(nil)
)

// frameOf copies p into a new FFmpeg yuv420p frame (FFmpeg's own line
// padding) as the pipeline hands one to a stage.
func frameOf(t testing.TB, p *picture) *astiav.Frame {
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetWidth(p.w)
	f.SetHeight(p.h)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	require.NoError(t, f.AllocBuffer(0))
	for i, pl := range []struct {
		src       []byte
		stride, w int
		h         int
	}{{p.y, p.ys, p.w, p.h}, {p.u, p.cs, p.cw, p.ch}, {p.v, p.cs, p.cw, p.ch}} {
		dst, ds := av.Plane(f, i)
		for y := range pl.h {
			copy(dst[y*ds:][:pl.w], pl.src[y*pl.stride:][:pl.w])
		}
	}
	return f
}

// benchApply runs Apply at strength 1 on a w×h frame, in place frame
// after frame (the cost does not depend on how smooth the skin already
// is: every stage runs on every skin sample each time).
func benchApply(b *testing.B, p *picture, brighten float64) {
	f := frameOf(b, p)
	st := newStage(b, p.w, p.h, Config{Strength: 1, Brighten: brighten})
	require.NoError(b, st.Apply(f, 0)) // tables built before timing
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := st.Apply(f, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBeauty720p: the synthetic portrait (a face over 40 % of the
// width and 80 % of the height, a textured background) at 1280×720.
func BenchmarkBeauty720p(b *testing.B) { benchApply(b, newPortrait(1280, 720, 0, 1).picture, 0) }

// BenchmarkBeauty1080p: the same at 1920×1080.
func BenchmarkBeauty1080p(b *testing.B) { benchApply(b, newPortrait(1920, 1080, 0, 1).picture, 0) }

// allSkin is the worst case: skin edge to edge (a close-up), so every
// sample is filtered and written.
func allSkin() *picture {
	p := newPortrait(1920, 1080, 0, 1)
	for i := range p.u {
		p.u[i], p.v[i] = 110, 150
	}
	for i := range p.y {
		p.y[i] = max(p.y[i], 100)
	}
	return p.picture
}

// BenchmarkBeauty1080pAllSkin: the worst case at strength 1.
func BenchmarkBeauty1080pAllSkin(b *testing.B) { benchApply(b, allSkin(), 0) }

// BenchmarkBeauty1080pAllSkinBrighten: the worst case with Brighten too.
func BenchmarkBeauty1080pAllSkinBrighten(b *testing.B) { benchApply(b, allSkin(), 0.5) }

// TestApplyMatchesProcess: Apply on an FFmpeg frame (its own line
// padding) gives the bytes Process gives on plain planes, allocates
// nothing per frame, and refuses frames of another size or format.
func TestApplyMatchesProcess(t *testing.T) {
	src := newPortrait(1280, 720, 0, 8)
	f := frameOf(t, src.picture)
	b := newStage(t, 1280, 720, Config{Strength: 0.8, Brighten: 0.3})
	require.NoError(t, b.Apply(f, 0))
	want := src.clone()
	process(t, b, want)
	for i, pl := range []struct {
		p         []byte
		stride, w int
		h         int
	}{{want.y, want.ys, want.w, want.h}, {want.u, want.cs, want.cw, want.ch}, {want.v, want.cs, want.cw, want.ch}} {
		got, gs := av.Plane(f, i)
		for y := range pl.h {
			require.Equal(t, pl.p[y*pl.stride:][:pl.w], got[y*gs:][:pl.w], "plane %d row %d", i, y)
		}
	}

	require.Zero(t, testing.AllocsPerRun(20, func() { _ = b.Apply(f, 0) }), "steady state allocates nothing")

	shared := astiav.AllocFrame()
	defer shared.Free()
	require.NoError(t, shared.Ref(f))
	require.Error(t, b.Apply(f, 0), "buffers shared with another frame")
	shared.Unref()
	require.NoError(t, b.Apply(f, 0))

	small := frameOf(t, newPicture(640, 360, 0))
	require.Error(t, b.Apply(small, 0))
	rgb := astiav.AllocFrame()
	defer rgb.Free()
	rgb.SetWidth(1280)
	rgb.SetHeight(720)
	rgb.SetPixelFormat(astiav.PixelFormatRgba)
	require.NoError(t, rgb.AllocBuffer(0))
	require.Error(t, b.Apply(rgb, 0))
}

// TestLiveControlRace: strength and brightening change from other
// goroutines while frames are processed (run with -race).
func TestLiveControlRace(t *testing.T) {
	src := newPortrait(320, 240, 0, 9)
	b := newStage(t, 320, 240, Config{Strength: 1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			b.SetStrength(float64(i%11) / 10)
			b.SetBrighten(float64(i%5) / 4)
			_ = b.Strength() + b.Brighten()
		}
	}()
	p := src.clone()
	for range 50 {
		process(t, b, p)
	}
	<-done
}

// TestApplyReadsColourRange: a frame marked full range ("JPEG") is read
// with the full-range skin tables, as ProcessFullRange reads planes.
func TestApplyReadsColourRange(t *testing.T) {
	src := readJPEG(t, "testdata/hopper.jpg")
	b := newStage(t, src.w, src.h, Config{Strength: 1})
	want := src.clone()
	require.NoError(t, b.ProcessFullRange(want.y, want.u, want.v, want.ys, want.cs))
	video := src.clone()
	process(t, b, video)
	require.NotEqual(t, want.y, video.y, "the range matters on this picture")

	f := frameOf(t, src)
	f.SetColorRange(astiav.ColorRangeJpeg)
	require.NoError(t, b.Apply(f, 0))
	got, gs := av.Plane(f, 0)
	for y := range src.h {
		require.Equal(t, want.y[y*want.ys:][:src.w], got[y*gs:][:src.w], "row %d", y)
	}
}
