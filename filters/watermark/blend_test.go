package watermark

import (
	"image"
	"image/color"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
)

// stripesPNG is 6 × 4: columns 0-1 opaque red, 2-3 green at alpha 128,
// 4-5 blue at alpha 0 (a transparent pixel whose colour must not show).
func stripesPNG(t *testing.T) string {
	img := image.NewNRGBA(image.Rect(0, 0, 6, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 6; x++ {
			c := []color.NRGBA{{255, 0, 0, 255}, {0, 255, 0, 128}, {0, 0, 255, 0}}[x/2]
			img.SetNRGBA(x, y, c)
		}
	}
	return writePNG(t, "stripes.png", img)
}

// Colours by rgbToYUV: red (82, 90, 240), green (144, 54, 34).
func TestRGBToYUV(t *testing.T) {
	for _, tc := range []struct{ r, g, b, y, u, v int }{
		{255, 0, 0, 82, 90, 240},
		{0, 255, 0, 144, 54, 34},
		{0, 0, 255, 41, 240, 110},
		{0, 0, 0, 16, 128, 128},
		{255, 255, 255, 235, 128, 128},
		{0x20, 0x40, 0x60, 66, 147, 112},
	} {
		y, u, v := rgbToYUV(tc.r, tc.g, tc.b)
		require.Equal(t, [3]int{tc.y, tc.u, tc.v}, [3]int{y, u, v}, "%v", tc)
	}
}

// requireOutsideUntouched checks that every sample of f outside the luma
// rectangle [x0, x1) × [y0, y1) and the chroma rectangle [cx0, cx1) ×
// [cy0, cy1) is still grey.
func requireOutsideUntouched(t *testing.T, f *astiav.Frame, x0, y0, x1, y1, cx0, cy0, cx1, cy1 int) {
	t.Helper()
	for y := 0; y < f.Height(); y++ {
		for x := 0; x < f.Width(); x++ {
			if x < x0 || x >= x1 || y < y0 || y >= y1 {
				require.Equal(t, greyY, px(f, 0, x, y), "Y at %d,%d", x, y)
			}
		}
	}
	for y := 0; y < (f.Height()+1)/2; y++ {
		for x := 0; x < (f.Width()+1)/2; x++ {
			if x < cx0 || x >= cx1 || y < cy0 || y >= cy1 {
				require.Equal(t, greyC, px(f, 1, x, y), "U at %d,%d", x, y)
				require.Equal(t, greyC, px(f, 2, x, y), "V at %d,%d", x, y)
			}
		}
	}
}

// TestBlendExact places the stripes at an even spot (each chroma sample
// covers one colour) over grey Y 100, U = V = 128, and checks each value
// against the formulas in bitmap:
//
//	luma   out = (a·Y + (255 − a)·100 + 127) / 255
//	chroma out = (Σa·C + (1020 − Σa)·128 + 510) / 1020
func TestBlendExact(t *testing.T) {
	logo := stripesPNG(t)
	for _, tc := range []struct {
		name           string
		opacity        float64
		redY, greenY   int // luma of the red and green columns
		redU, redV     int
		greenU, greenV int
	}{
		// a = 255 (red), 128 (green).
		// green Y: (128·144 + 127·100 + 127) / 255 = 31259 / 255 = 122
		// green U: (4·128·54 + 508·128 + 510) / 1020 = 93182 / 1020 = 91
		// green V: (4·128·34 + 508·128 + 510) / 1020 = 82942 / 1020 = 81
		{"opaque", 1, 82, 122, 90, 240, 91, 81},
		// Opacity 0.5 is o = 128: red a = (255·128 + 127) / 255 = 128,
		// green a = (128·128 + 127) / 255 = 64.
		// red Y: (128·82 + 127·100 + 127) / 255 = 23323 / 255 = 91
		// green Y: (64·144 + 191·100 + 127) / 255 = 28443 / 255 = 111
		// red U: (4·128·90 + 508·128 + 510) / 1020 = 111614 / 1020 = 109
		// red V: (4·128·240 + 508·128 + 510) / 1020 = 188414 / 1020 = 184
		// green U: (4·64·54 + 764·128 + 510) / 1020 = 112126 / 1020 = 109.9 → 109
		// green V: (4·64·34 + 764·128 + 510) / 1020 = 107006 / 1020 = 104.9 → 104
		{"half", 0.5, 91, 111, 109, 184, 109, 104},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(40, 40, Config{Layers: []Layer{{Image: logo, X: 10, Y: 20, Opacity: tc.opacity}}})
			require.NoError(t, err)
			defer w.Close()
			f := greyFrame(t, 40, 40)
			require.NoError(t, w.Apply(f, 0))
			for y := 20; y < 24; y++ {
				require.Equal(t, tc.redY, px(f, 0, 10, y))
				require.Equal(t, tc.redY, px(f, 0, 11, y))
				require.Equal(t, tc.greenY, px(f, 0, 12, y))
				require.Equal(t, tc.greenY, px(f, 0, 13, y))
				require.Equal(t, greyY, px(f, 0, 14, y), "transparent")
				require.Equal(t, greyY, px(f, 0, 15, y), "transparent")
			}
			for cy := 10; cy < 12; cy++ {
				require.Equal(t, [2]int{tc.redU, tc.redV}, [2]int{px(f, 1, 5, cy), px(f, 2, 5, cy)}, "red chroma")
				require.Equal(t, [2]int{tc.greenU, tc.greenV}, [2]int{px(f, 1, 6, cy), px(f, 2, 6, cy)}, "green chroma")
				require.Equal(t, [2]int{greyC, greyC}, [2]int{px(f, 1, 7, cy), px(f, 2, 7, cy)}, "a transparent block is untouched, blue or not")
			}
			requireOutsideUntouched(t, f, 10, 20, 14, 24, 5, 10, 7, 12)
		})
	}
}

// TestBlendOddPlacement puts the stripes at (11, 21), so chroma samples
// straddle colours and the logo's edge: each is the alpha-weighted mean
// of the pixels it covers, over grey for the rest.
func TestBlendOddPlacement(t *testing.T) {
	w, err := New(40, 40, Config{Layers: []Layer{{Image: stripesPNG(t), X: 11, Y: 21}}})
	require.NoError(t, err)
	defer w.Close()
	f := greyFrame(t, 40, 40)
	require.NoError(t, w.Apply(f, 0))
	require.Equal(t, 82, px(f, 0, 11, 21), "luma is per pixel: red")
	require.Equal(t, 122, px(f, 0, 13, 24), "green")
	require.Equal(t, greyY, px(f, 0, 10, 21), "left of the logo")
	require.Equal(t, greyY, px(f, 0, 11, 20), "above the logo")
	for _, tc := range []struct {
		name   string
		cx, cy int
		u, v   int
	}{
		// Columns 10-11, rows 22-23: two red pixels, two outside.
		// U: (2·255·90 + 510·128 + 510) / 1020 = 111690 / 1020 = 109.5 → 109
		// V: (2·255·240 + 510·128 + 510) / 1020 = 188190 / 1020 = 184.5 → 184
		{"red edge", 5, 11, 109, 184},
		// Columns 12-13: two red, two green (a 128).
		// U: (2·255·90 + 2·128·54 + 254·128 + 510) / 1020 = 92746 / 1020 = 90.9 → 90
		// V: (2·255·240 + 2·128·34 + 254·128 + 510) / 1020 = 164126 / 1020 = 160.9 → 160
		{"red and green", 6, 11, 90, 160},
		// Columns 14-15: two green, two transparent blue (a 0: no weight).
		// U: (2·128·54 + 764·128 + 510) / 1020 = 112126 / 1020 = 109.9 → 109
		// V: (2·128·34 + 97792 + 510) / 1020 = 107006 / 1020 = 104.9 → 104
		{"green and transparent", 7, 11, 109, 104},
		// Rows 20-21 of columns 12-13: one red, one green pixel (row 21).
		// U: (255·90 + 128·54 + 637·128 + 510) / 1020 = 111908 / 1020 = 109.7 → 109
		// V: (255·240 + 128·34 + 81536 + 510) / 1020 = 147598 / 1020 = 144.7 → 144
		{"top edge", 6, 10, 109, 144},
		{"transparent only", 8, 11, greyC, greyC},
	} {
		require.Equal(t, [2]int{tc.u, tc.v}, [2]int{px(f, 1, tc.cx, tc.cy), px(f, 2, tc.cx, tc.cy)}, tc.name)
	}
	requireOutsideUntouched(t, f, 11, 21, 15, 25, 5, 10, 8, 13)
}

// TestBlendRounding pins the rounding of both formulas at their edges,
// on a 2 × 1 bitmap blended into bare planes: a result just below .5
// rounds down, .5 and above round up.
func TestBlendRounding(t *testing.T) {
	for _, tc := range []struct {
		name         string
		a            [2]uint8
		y, u         [2]int
		wantY, wantU int // Y of the first pixel, U of the block
	}{
		// Y: (1·227 + 254·100 + 127) / 255: exact 100 + 127/255 → 100.
		// U: (254·130 + 1·129 + 765·128 + 510) / 1020: exact 128 + 509/1020 → 128.
		{"below half", [2]uint8{1, 254}, [2]int{227, 100}, [2]int{129, 130}, 100, 128},
		// Y: (1·228 + 254·100 + 127) / 255: exact 100 + 128/255 → 101.
		// U: (1·0 + 1019·128 + 510) / 1020: exact 127.9 → 128.
		{"above half", [2]uint8{1, 0}, [2]int{228, 0}, [2]int{0, 0}, 101, 128},
		// U: (255·130 + 765·128 + 510) / 1020: exact 128.5 → 129.
		{"exact half chroma", [2]uint8{255, 0}, [2]int{100, 0}, [2]int{130, 0}, 100, 129},
	} {
		var p pixels
		p.resize(2, 1)
		for i := 0; i < 2; i++ {
			p.set(i, tc.a[i], tc.y[i], tc.u[i], tc.u[i])
		}
		var b bitmap
		b.place(&p, 0, 0)
		yp := []byte{100, 100}
		up, vp := []byte{128}, []byte{128}
		b.blend(yp, 2, up, vp, 1, 2, 1)
		require.Equal(t, tc.wantY, int(yp[0]), "%s: Y", tc.name)
		require.Equal(t, tc.wantU, int(up[0]), "%s: U", tc.name)
		require.Equal(t, up, vp, "V follows the same formula")
	}
}
