package watermark

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

// The flat frame the tests draw on: grey, with a luma unlike any layer's
// so that a changed pixel always shows.
const (
	greyY = 100
	greyC = 128
)

// greyFrame is a w × h yuv420p frame filled with greyY, greyC.
func greyFrame(t testing.TB, w, h int) *astiav.Frame {
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetWidth(w)
	f.SetHeight(h)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	require.NoError(t, f.AllocBuffer(0))
	fill(f, greyY, greyC, greyC)
	return f
}

func fill(f *astiav.Frame, y, u, v byte) {
	for i, c := range []byte{y, u, v} {
		p, _ := av.Plane(f, i)
		for j := range p {
			p[j] = c
		}
	}
}

// px reads plane i (0 Y, 1 U, 2 V) at (x, y) in that plane's samples.
func px(f *astiav.Frame, i, x, y int) int {
	p, s := av.Plane(f, i)
	return int(p[y*s+x])
}

// planes copies the visible samples of f's three planes.
func planes(f *astiav.Frame) [3][]byte {
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

// changed returns the bounding box [x0, x1) × [y0, y1) of the luma
// samples of f that are not greyY, and how many there are.
func changed(f *astiav.Frame) (x0, y0, x1, y1, n int) {
	x0, y0 = f.Width(), f.Height()
	for y := 0; y < f.Height(); y++ {
		for x := 0; x < f.Width(); x++ {
			if px(f, 0, x, y) != greyY {
				n++
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			}
		}
	}
	return
}

// writePNG writes img as a PNG in the test's directory and returns its path.
func writePNG(t testing.TB, name string, img image.Image) string {
	path := filepath.Join(t.TempDir(), name)
	out, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(out, img))
	require.NoError(t, out.Close())
	return path
}

// solidPNG is a w × h PNG of one colour.
func solidPNG(t testing.TB, w, h int, c color.NRGBA) string {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	return writePNG(t, "solid.png", img)
}
