package av

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
)

func yuvFrame(t *testing.T, w, h int) *astiav.Frame {
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetWidth(w)
	f.SetHeight(h)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	require.NoError(t, f.AllocBuffer(0))
	return f
}

func scaler(t *testing.T, sw, sh, dw, dh int) *astiav.SoftwareScaleContext {
	ssc, err := astiav.CreateSoftwareScaleContext(sw, sh, astiav.PixelFormatYuv420P, dw, dh, astiav.PixelFormatYuv420P,
		astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBilinear))
	require.NoError(t, err)
	t.Cleanup(ssc.Free)
	return ssc
}

// TestScaleContextLayout guards scale.go's one assumption: astiav's
// SoftwareScaleContext starts with its SwsContext pointer.
func TestScaleContextLayout(t *testing.T) {
	ssc := scaler(t, 4, 4, 2, 2)
	require.Equal(t, ssc.Class().Name(), scaleContextClass(ssc))
	require.True(t, strings.HasSuffix(ssc.Class().String(), fmt.Sprintf("@ %p", unsafe.Pointer(swsContext(ssc)))))
}

// TestScaleRegion: a region of the source's own size comes out as an
// exact copy of that region (chroma from (x/2, y/2)), a flat region
// scales to the same flat colour, regions that do not fit are refused,
// and a call allocates nothing.
func TestScaleRegion(t *testing.T) {
	src := yuvFrame(t, 16, 12)
	for i := 0; i < 3; i++ {
		p, s := Plane(src, i)
		for y := 0; y < len(p)/s; y++ {
			for x := 0; x < s; x++ {
				p[y*s+x] = byte(10*i + 16*y + x)
			}
		}
	}
	dst := yuvFrame(t, 6, 4)
	ssc := scaler(t, 6, 4, 6, 4)
	require.NoError(t, ScaleRegion(ssc, src, 3, 5, dst))
	for i := 0; i < 3; i++ {
		p, s := Plane(dst, i)
		w, h, x0, y0 := 6, 4, 3, 5
		if i > 0 {
			w, h, x0, y0 = 3, 2, 1, 2
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				require.Equal(t, byte(10*i+16*(y+y0)+x+x0), p[y*s+x], "plane %d (%d, %d)", i, x, y)
			}
		}
	}

	for i, c := range []byte{81, 90, 240} {
		p, _ := Plane(src, i)
		for j := range p {
			p[j] = c
		}
	}
	small := yuvFrame(t, 3, 2)
	down := scaler(t, 10, 8, 3, 2)
	require.NoError(t, ScaleRegion(down, src, 6, 4, small))
	for i, c := range []byte{81, 90, 240} {
		p, s := Plane(small, i)
		w, h := 3, 2
		if i > 0 {
			w, h = 2, 1
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				require.Equal(t, c, p[y*s+x], "plane %d (%d, %d)", i, x, y)
			}
		}
	}

	// A large downscale keeps a flat colour exact with ScaleAccurateRnd.
	big, tiny := yuvFrame(t, 640, 360), yuvFrame(t, 33, 17)
	for i := 0; i < 3; i++ {
		p, _ := Plane(big, i)
		for j := range p {
			p[j] = 150
		}
	}
	accurate, err := astiav.CreateSoftwareScaleContext(640, 360, astiav.PixelFormatYuv420P, 33, 17, astiav.PixelFormatYuv420P,
		astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBilinear, ScaleAccurateRnd))
	require.NoError(t, err)
	defer accurate.Free()
	require.NoError(t, ScaleRegion(accurate, big, 0, 0, tiny))
	for i := 0; i < 3; i++ {
		p, s := Plane(tiny, i)
		w := 33
		if i > 0 {
			w = 17
		}
		for y := 0; y < len(p)/s; y++ {
			for x := 0; x < w; x++ {
				require.Equal(t, byte(150), p[y*s+x], "plane %d (%d, %d)", i, x, y)
			}
		}
	}

	require.Error(t, ScaleRegion(down, src, 7, 4, small), "past the right edge")
	require.Error(t, ScaleRegion(down, src, 0, 5, small), "past the bottom")
	require.Error(t, ScaleRegion(down, src, -1, 0, small))
	require.Error(t, ScaleRegion(down, src, 0, 0, dst), "dst is not the context's size")
	rgba := astiav.AllocFrame()
	defer rgba.Free()
	rgba.SetWidth(16)
	rgba.SetHeight(12)
	rgba.SetPixelFormat(astiav.PixelFormatRgba)
	require.NoError(t, rgba.AllocBuffer(0))
	require.Error(t, ScaleRegion(down, rgba, 0, 0, small), "not yuv420p")

	require.Zero(t, testing.AllocsPerRun(50, func() { _ = ScaleRegion(down, src, 6, 4, small) }))
}
