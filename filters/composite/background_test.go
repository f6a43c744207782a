package composite

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
)

func TestParseColor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [3]uint8
	}{
		{"black", [3]uint8{16, 128, 128}},
		{"white", [3]uint8{235, 128, 128}},
		{"#ff0000", [3]uint8{82, 90, 240}},
		{"0x0000FF", [3]uint8{41, 240, 110}},
		{"#1e1e2eff", [3]uint8{43, 135, 127}},
	} {
		got, err := ParseColor(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"", "nope", "white@0.5", "#00000080", "random"} {
		_, err := ParseColor(bad)
		require.Error(t, err, bad)
	}
}

// TestBackgroundDefaultIsBlack: the zero colour means black.
func TestBackgroundDefaultIsBlack(t *testing.T) {
	c := compositor(t, Options{Width: 64, Height: 36})
	out := solid(t, 64, 36, yuv{1, 2, 3})
	require.NoError(t, c.Compose(out, nil, nil))
	checkScene(t, out, yuv{16, 128, 128}, nil, nil)
}

// writePNG saves a w × h picture whose pixel (x, y) is at(x, y).
func writePNG(t *testing.T, w, h int, at func(x, y int) color.NRGBA) string {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, at(x, y))
		}
	}
	path := filepath.Join(t.TempDir(), "bg.png")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
	return path
}

// near says whether each of got's components is within 1 of want's
// (swscale's RGB to YUV and our integer formula may round apart).
func near(got, want yuv) bool {
	for i := range got {
		if d := int(got[i]) - int(want[i]); d < -1 || d > 1 {
			return false
		}
	}
	return true
}

// TestBackgroundImage: a 16:9 picture, red left half and blue right half,
// covers a 16:9 canvas with red on the left and blue on the right (the
// edge blurred by the scaler); a 4:3 one is cut at the top and bottom
// (its red top and bottom rows are gone); transparent parts show the
// background colour; the bars of a contained layer show the image.
func TestBackgroundImage(t *testing.T) {
	red, blue := yuv{82, 90, 240}, yuv{41, 240, 110}
	halves := writePNG(t, 64, 36, func(x, y int) color.NRGBA {
		if x < 32 {
			return color.NRGBA{255, 0, 0, 255}
		}
		return color.NRGBA{0, 0, 255, 255}
	})
	c := compositor(t, Options{Width: 1280, Height: 720, BackgroundImage: halves})
	out := frame(t, 1280, 720)
	require.NoError(t, c.Compose(out, nil, nil))
	for y := 0; y < 720; y += 7 {
		for x := 0; x < 1280; x += 3 {
			want := red
			if x >= 640 {
				want = blue
			}
			if x < 620 || x >= 660 {
				require.True(t, near(pixel(out, x, y), want), "(%d, %d) = %v, want %v", x, y, pixel(out, x, y), want)
			}
		}
	}

	// Bars of a contained picture show the image.
	bg := planesOf(out)
	tile := Rect{100, 100, 120, 160}
	require.NoError(t, c.Compose(out, []Layer{{Rect: tile, Fit: FitContain, Opacity: 1}}, []*astiav.Frame{solid(t, 1280, 720, colA)}))
	shown := Rect{100, 146, 120, 68}
	check(t, out, func(x, y int) (yuv, bool) {
		if shown.has(x, y) {
			return colA, true
		}
		cx, cy := x/2, y/2
		w := (1280 + 1) / 2
		return yuv{bg[0][y*1280+x], bg[1][cy*w+cx], bg[2][cy*w+cx]}, true
	})

	// 40 × 30 covering 1280 × 720 keeps 23 rows (40·720/1280 = 22.5,
	// rounded), from row 2 (the excess, 7, halved, down to even): rows 0,
	// 1 and 25.. are cut, and no red luma shows. (Chroma is checked away
	// from the top and bottom: converting the picture to 4:2:0 blurs the
	// colour edge into the kept rows' chroma.)
	tall := writePNG(t, 40, 30, func(x, y int) color.NRGBA {
		if y < 2 || y >= 25 {
			return color.NRGBA{255, 0, 0, 255}
		}
		return color.NRGBA{0, 0, 255, 255}
	})
	c2 := compositor(t, Options{Width: 1280, Height: 720, BackgroundImage: tall})
	require.NoError(t, c2.Compose(out, nil, nil))
	for y := 0; y < 720; y += 5 {
		for x := 0; x < 1280; x += 5 {
			got := pixel(out, x, y)
			if y < 160 || y >= 560 {
				got = yuv{got[0], blue[1], blue[2]}
			}
			require.True(t, near(got, blue), "(%d, %d) = %v", x, y, pixel(out, x, y))
		}
	}

	// Transparent left half: the background colour shows there.
	clearLeft := writePNG(t, 64, 36, func(x, y int) color.NRGBA {
		if x < 32 {
			return color.NRGBA{255, 255, 255, 0}
		}
		return color.NRGBA{0, 0, 255, 255}
	})
	c3 := compositor(t, Options{Width: 1280, Height: 720, Background: testBG, BackgroundImage: clearLeft})
	require.NoError(t, c3.Compose(out, nil, nil))
	for y := 0; y < 720; y += 7 {
		for x := 0; x < 600; x += 3 {
			require.Equal(t, testBG, pixel(out, x, y), "(%d, %d)", x, y)
		}
		for x := 680; x < 1280; x += 3 {
			require.True(t, near(pixel(out, x, y), blue), "(%d, %d) = %v", x, y, pixel(out, x, y))
		}
	}
}

func TestBackgroundImageErrors(t *testing.T) {
	text := filepath.Join(t.TempDir(), "bg.txt")
	require.NoError(t, os.WriteFile(text, []byte("hello"), 0o644))
	_, err := New(Options{Width: 64, Height: 36, BackgroundImage: text})
	require.ErrorContains(t, err, "composite: background image "+text+": not a picture FFmpeg can decode")
}
