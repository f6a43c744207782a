package beauty

import (
	"image"
	"image/jpeg"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// readJPEG loads a 4:2:0 JPEG's planes as a picture (JPEG's full-range
// YCbCr, which a camera's limited-range video differs from only a
// little in chroma).
func readJPEG(t *testing.T, path string) *picture {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := jpeg.Decode(f)
	require.NoError(t, err)
	yc, ok := img.(*image.YCbCr)
	require.True(t, ok && yc.SubsampleRatio == image.YCbCrSubsampleRatio420, "want a 4:2:0 JPEG")
	w, h := yc.Rect.Dx(), yc.Rect.Dy()
	p := newPicture(w, h, 0)
	for y := range h {
		copy(p.y[y*p.ys:][:w], yc.Y[y*yc.YStride:])
	}
	for y := range p.ch {
		copy(p.u[y*p.cs:][:p.cw], yc.Cb[y*yc.CStride:])
		copy(p.v[y*p.cs:][:p.cw], yc.Cr[y*yc.CStride:])
	}
	return p
}

// detail is the luma energy a 3×3 mean takes out, over r: fine texture,
// noise and edges alike.
func detail(p *picture, r rect) float64 {
	var s float64
	for y := r.y0; y < r.y1; y++ {
		for x := r.x0; x < r.x1; x++ {
			m := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					m += p.Y(x+dx, y+dy)
				}
			}
			d := float64(p.Y(x, y)) - float64(m)/9
			s += d * d
		}
	}
	return math.Sqrt(s / float64((r.x1-r.x0)*(r.y1-r.y0)))
}

// spread is the luma range of r between its 5th and 95th percentiles:
// how dark its dark part is against its light part.
func spread(p *picture, r rect) int {
	var v []int
	for y := r.y0; y < r.y1; y++ {
		for x := r.x0; x < r.x1; x++ {
			v = append(v, p.Y(x, y))
		}
	}
	slices.Sort(v)
	return v[len(v)*95/100] - v[len(v)*5/100]
}

// toVideoRange converts a full-range picture to video range, as FFmpeg's
// scaler does for yuv420p.
func toVideoRange(p *picture) *picture {
	c := p.clone()
	for i, v := range c.y {
		c.y[i] = clampByte(toLimitedLuma(float64(v)))
	}
	for i := range c.u {
		c.u[i] = clampByte(toLimitedChroma(float64(c.u[i])))
		c.v[i] = clampByte(toLimitedChroma(float64(c.v[i])))
	}
	return c
}

// TestRealPortrait runs the stage on a real photograph (testdata/
// hopper.jpg: Grace Hopper's 1984 U.S. Navy portrait, public domain, the
// copy matplotlib ships as sample data) at strength 1, as the JPEG's
// full-range samples and converted to video range: the wrinkled cheeks
// lose much of their fine detail, the glasses and eyes keep their
// outlines, and the blue sky and the dark uniform are not touched.
func TestRealPortrait(t *testing.T) {
	jpg := readJPEG(t, "testdata/hopper.jpg")
	for _, tc := range []struct {
		name   string
		before *picture
		full   bool
	}{{"full range", jpg, true}, {"video range", toVideoRange(jpg), false}} {
		before := tc.before
		after := before.clone()
		b := newStage(t, before.w, before.h, Config{Strength: 1})
		if tc.full {
			require.NoError(t, b.ProcessFullRange(after.y, after.u, after.v, after.ys, after.cs))
		} else {
			process(t, b, after)
		}

		for _, r := range []rect{{195, 230, 235, 270}, {300, 230, 340, 270}} {
			d0, d1 := detail(before, r), detail(after, r)
			t.Logf("%s: cheek %v: detail %.2f → %.2f (×%.2f)", tc.name, r, d0, d1, d1/d0)
			require.Less(t, d1/d0, 0.9, "%s: cheek %v smoothed", tc.name, r)
		}

		// The pupils and the glasses' frame, each in a box of 16×16
		// centred on it.
		for _, c := range [][2]int{{220, 190}, {305, 187}, {215, 180}, {330, 176}} {
			r := rect{c[0] - 8, c[1] - 8, c[0] + 8, c[1] + 8}
			s0, s1 := spread(before, r), spread(after, r)
			t.Logf("%s: outline %v: contrast %d → %d (×%.2f)", tc.name, c, s0, s1, float64(s1)/float64(s0))
			require.GreaterOrEqual(t, float64(s1)/float64(s0), 0.85, "%s: outline at %v kept", tc.name, c)
		}

		for _, r := range []rect{{420, 150, 500, 300}, {40, 430, 160, 475}} { // sky, uniform
			for y := r.y0; y < r.y1; y++ {
				require.Equal(t, before.y[y*before.ys+r.x0:][:r.x1-r.x0], after.y[y*after.ys+r.x0:][:r.x1-r.x0],
					"%s: %v row %d untouched", tc.name, r, y)
			}
		}
	}
}
