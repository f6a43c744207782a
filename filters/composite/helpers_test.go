package composite

import (
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

// yuv is one colour: Y, U, V.
type yuv [3]uint8

// frame allocates a w × h yuv420p frame, freed with the test.
func frame(t testing.TB, w, h int) *astiav.Frame {
	f, err := yuvFrame(w, h, astiav.PixelFormatYuv420P)
	require.NoError(t, err)
	t.Cleanup(f.Free)
	return f
}

// solid is a w × h frame of one colour.
func solid(t testing.TB, w, h int, c yuv) *astiav.Frame {
	f := frame(t, w, h)
	paint(f, c)
	return f
}

func paint(f *astiav.Frame, c yuv) {
	for i := range c {
		p, _ := av.Plane(f, i)
		for j := range p {
			p[j] = c[i]
		}
	}
}

// bands is a w × h frame of vertical bands of equal width, one per colour.
func bands(t testing.TB, w, h int, cs ...yuv) *astiav.Frame {
	f := frame(t, w, h)
	for i := 0; i < 3; i++ {
		p, s := av.Plane(f, i)
		pw, ph := w, h
		if i > 0 {
			pw, ph = (w+1)/2, (h+1)/2
		}
		for y := 0; y < ph; y++ {
			for x := 0; x < pw; x++ {
				p[y*s+x] = cs[x*len(cs)/pw][i]
			}
		}
	}
	return f
}

// pattern is a w × h frame whose samples all differ from their
// neighbours, for benchmarks and blends.
func pattern(t testing.TB, w, h, seed int) *astiav.Frame {
	f := frame(t, w, h)
	for i := 0; i < 3; i++ {
		p, s := av.Plane(f, i)
		for y := 0; y < len(p)/s; y++ {
			for x := 0; x < s; x++ {
				p[y*s+x] = byte(x*7 + y*13 + i*31 + seed*101 + (x*y)>>5)
			}
		}
	}
	return f
}

// at reads plane i at (x, y) in that plane's samples.
func at(f *astiav.Frame, i, x, y int) uint8 {
	p, s := av.Plane(f, i)
	return p[y*s+x]
}

// pixel reads the colour of luma pixel (x, y): its luma and the chroma
// sample of its 2×2 block.
func pixel(f *astiav.Frame, x, y int) yuv {
	return yuv{at(f, 0, x, y), at(f, 1, x/2, y/2), at(f, 2, x/2, y/2)}
}

func (r Rect) has(x, y int) bool { return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H }

// checkScene asserts every sample of out against a scene of solid
// colours: each luma pixel is the colour of the topmost rect holding it,
// or bg; each chroma sample is that of its block's top-left luma pixel
// (the package's chroma rule).
func checkScene(t *testing.T, out *astiav.Frame, bg yuv, rects []Rect, colours []yuv) {
	t.Helper()
	check(t, out, func(x, y int) (yuv, bool) {
		for i := len(rects) - 1; i >= 0; i-- {
			if rects[i].has(x, y) {
				return colours[i], true
			}
		}
		return bg, true
	})
}

// checkOutside asserts that every luma sample outside r, and every chroma
// sample whose block's top-left luma pixel is outside r, is bg.
func checkOutside(t *testing.T, out *astiav.Frame, r Rect, bg yuv) {
	t.Helper()
	check(t, out, func(x, y int) (yuv, bool) { return bg, !r.has(x, y) })
}

// check asserts the samples of out where want says so: luma at each
// pixel, chroma at each block's top-left pixel.
func check(t *testing.T, out *astiav.Frame, want func(x, y int) (yuv, bool)) {
	t.Helper()
	w, h := out.Width(), out.Height()
	bad := 0
	miss := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		bad++
		require.Less(t, bad, 10, "too many wrong samples")
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			exp, ok := want(x, y)
			if got := at(out, 0, x, y); ok && got != exp[0] {
				miss("luma (%d, %d) = %d, want %d", x, y, got, exp[0])
			}
		}
	}
	for y := 0; y < (h+1)/2; y++ {
		for x := 0; x < (w+1)/2; x++ {
			exp, ok := want(2*x, 2*y)
			for i := 1; ok && i <= 2; i++ {
				if got := at(out, i, x, y); got != exp[i] {
					miss("plane %d (%d, %d) = %d, want %d", i, x, y, got, exp[i])
				}
			}
		}
	}
}

// compositor is New's result, closed with the test.
func compositor(t testing.TB, o Options) *Compositor {
	c, err := New(o)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// planesOf copies the visible samples of f's three planes.
func planesOf(f *astiav.Frame) [3][]byte {
	var out [3][]byte
	for i := range out {
		w, h := f.Width(), f.Height()
		if i > 0 {
			w, h = (w+1)/2, (h+1)/2
		}
		p, s := av.Plane(f, i)
		for y := 0; y < h; y++ {
			out[i] = append(out[i], p[y*s:y*s+w]...)
		}
	}
	return out
}
