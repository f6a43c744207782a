package av_test

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

// writeImage saves img as path (PNG or JPEG by extension).
func writeImage(t *testing.T, path string, img image.Image) {
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	if filepath.Ext(path) == ".jpg" {
		require.NoError(t, jpeg.Encode(f, img, &jpeg.Options{Quality: 95}))
		return
	}
	require.NoError(t, png.Encode(f, img))
}

// TestDecodePicture: a PNG comes back at its size with its exact pixels,
// a JPEG at its size, and what is not a picture is an error.
func TestDecodePicture(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 6, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 6; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(10 * x), uint8(20 * y), 200, 255 - uint8(x)})
		}
	}
	pngPath := filepath.Join(dir, "a.png")
	writeImage(t, pngPath, img)
	f, err := av.DecodePicture(pngPath)
	require.NoError(t, err)
	defer f.Free()
	require.Equal(t, 6, f.Width())
	require.Equal(t, 4, f.Height())
	require.Equal(t, astiav.PixelFormatRgba, f.PixelFormat())
	p, stride := av.PackedPlane(f)
	require.Equal(t, []byte{30, 40, 200, 252}, p[2*stride+4*3:2*stride+4*3+4], "pixel (3, 2)")

	jpgPath := filepath.Join(dir, "b.jpg")
	writeImage(t, jpgPath, image.NewRGBA(image.Rect(0, 0, 33, 17)))
	g, err := av.DecodePicture(jpgPath)
	require.NoError(t, err)
	defer g.Free()
	require.Equal(t, 33, g.Width())
	require.Equal(t, 17, g.Height())

	text := filepath.Join(dir, "c.txt")
	require.NoError(t, os.WriteFile(text, []byte("not a picture\n"), 0o644))
	for _, bad := range []string{filepath.Join(dir, "missing.png"), text, dir} {
		_, err := av.DecodePicture(bad)
		require.Error(t, err, bad)
	}
}
