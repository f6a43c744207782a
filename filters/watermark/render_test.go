package watermark

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/filters"
	"studio/internal/av"
)

// logoPNG draws a 240 × 80 logo with every kind of alpha: a translucent
// navy rounded panel (alpha 170) with fully transparent corners, an opaque
// orange disc with an anti-aliased rim, and a red-to-blue bar whose alpha
// ramps from 0 to 255.
func logoPNG(t testing.TB) string {
	const w, h = 240, 80
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cover := func(d float64) float64 { return math.Max(0, math.Min(1, 0.5-d)) } // d: signed distance to an edge
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			// Rounded panel, corner radius 16.
			qx := math.Max(math.Abs(fx-w/2)-(w/2-16), 0)
			qy := math.Max(math.Abs(fy-h/2)-(h/2-16), 0)
			panel := cover(math.Hypot(qx, qy) - 16)
			r, g, b, a := 20.0, 30.0, 90.0, 170.0*panel
			over := func(cr, cg, cb, ca float64) { // straight-alpha "over"
				na := ca + a*(1-ca/255)
				if na > 0 {
					r = (cr*ca + r*a*(1-ca/255)) / na
					g = (cg*ca + g*a*(1-ca/255)) / na
					b = (cb*ca + b*a*(1-ca/255)) / na
				}
				a = na
			}
			if disc := cover(math.Hypot(fx-40, fy-40) - 26); disc > 0 {
				over(255, 140, 0, 255*disc)
			}
			if x >= 80 && x < 228 && y >= 28 && y < 52 {
				k := float64(x-80) / 147
				over(255*(1-k), 40, 255*k, 255*k)
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(r + 0.5), uint8(g + 0.5), uint8(b + 0.5), uint8(a + 0.5)})
		}
	}
	return writePNG(t, "logo.png", img)
}

// testsrc2 is one 1280 × 720 frame of FFmpeg's testsrc2 pattern.
func testsrc2(t testing.TB) *astiav.Frame {
	g, err := filters.NewGenerator("testsrc2=size=1280x720:rate=30,format=yuv420p", false)
	require.NoError(t, err)
	defer g.Close()
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	require.NoError(t, g.Pull(f))
	require.NoError(t, av.MakeWritable(f))
	return f
}

// savePNG converts f to RGB with FFmpeg and writes it as a PNG.
func savePNG(t testing.TB, f *astiav.Frame, path string) {
	g, err := filters.NewVideo("format=rgba", f, astiav.NewRational(1, 30))
	require.NoError(t, err)
	defer g.Close()
	require.NoError(t, g.Push(f))
	out := astiav.AllocFrame()
	defer out.Free()
	require.NoError(t, g.Pull(out))
	plane, stride := av.PackedPlane(out)
	img := image.NewNRGBA(image.Rect(0, 0, out.Width(), out.Height()))
	for y := 0; y < out.Height(); y++ {
		copy(img.Pix[y*img.Stride:y*img.Stride+4*out.Width()], plane[y*stride:])
	}
	file, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(file, img))
	require.NoError(t, file.Close())
}

// TestRenderPNG draws a logo, a text and a clock on testsrc2 and writes
// the frame as a PNG to look at: $WATERMARK_PNG if set (go test
// -run RenderPNG with WATERMARK_PNG=/tmp/wm.png), else a temporary file.
func TestRenderPNG(t *testing.T) {
	f := testsrc2(t)
	before := planes(f)
	w, err := New(1280, 720, Config{
		Epoch: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Layers: []Layer{
			{Image: logoPNG(t), Position: TopRight, Margin: 24},
			{Image: logoPNG(t), Position: BottomLeft, Margin: 24, Scale: 0.1, Opacity: 0.6},
			{Text: "studio — LIVE ● Ünïcödé", Size: 32, Color: "#ffd700", Box: "#000000a0", Padding: 8, Position: TopLeft, Margin: 24},
			{Clock: "%Y-%m-%d %H:%M:%S %Z", Zone: "UTC", Size: 28, Box: "#00000080", Padding: 7, Position: BottomRight, Margin: 24},
			{Text: "translucent, no box", Size: 40, Color: "white@0.5", Position: Center},
		},
	})
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Apply(f, 1500*time.Millisecond))
	require.NotEqual(t, before, planes(f))
	path := os.Getenv("WATERMARK_PNG")
	if path == "" {
		path = filepath.Join(t.TempDir(), "watermark.png")
	}
	savePNG(t, f, path)
	t.Logf("wrote %s", path)
}
