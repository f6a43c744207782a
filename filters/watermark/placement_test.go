package watermark

import (
	"image/color"
	"testing"

	"github.com/stretchr/testify/require"
)

var white = color.NRGBA{255, 255, 255, 255}

// TestPlacement: each anchor and explicit X/Y puts an opaque 20 × 10 logo
// exactly where it says on a 200 × 100 frame; what reaches outside is
// clipped.
func TestPlacement(t *testing.T) {
	logo := solidPNG(t, 20, 10, white)
	big := solidPNG(t, 300, 150, white)
	odd := solidPNG(t, 21, 11, white)
	for _, tc := range []struct {
		name           string
		layer          Layer
		x0, y0, x1, y1 int // expected changed rectangle; x0 == x1 for none
	}{
		{"default is top-left at 0,0", Layer{Image: logo}, 0, 0, 20, 10},
		{"top-left margin", Layer{Image: logo, Position: TopLeft, Margin: 7}, 7, 7, 27, 17},
		{"top-right margin", Layer{Image: logo, Position: TopRight, Margin: 7}, 173, 7, 193, 17},
		{"bottom-left margin", Layer{Image: logo, Position: BottomLeft, Margin: 7}, 7, 83, 27, 93},
		{"bottom-right margin", Layer{Image: logo, Position: BottomRight, Margin: 7}, 173, 83, 193, 93},
		{"center ignores margin", Layer{Image: logo, Position: Center, Margin: 7}, 90, 45, 110, 55},
		{"center, odd size rounds left/up", Layer{Image: odd, Position: Center}, 89, 44, 110, 55},
		{"explicit X/Y", Layer{Image: logo, X: 33, Y: 44}, 33, 44, 53, 54},
		{"X/Y move an anchored layer", Layer{Image: logo, Position: BottomRight, Margin: 7, X: -3, Y: 2}, 170, 85, 190, 95},
		{"larger than the frame: clipped", Layer{Image: big, X: -10, Y: -5}, 0, 0, 200, 100},
		{"past the right and bottom edges", Layer{Image: logo, X: 190, Y: 95}, 190, 95, 200, 100},
		{"past the left and top edges, odd", Layer{Image: logo, X: -11, Y: -3}, 0, 0, 9, 7},
		{"entirely outside", Layer{Image: logo, X: 500, Y: -50}, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(200, 100, Config{Layers: []Layer{tc.layer}})
			require.NoError(t, err)
			defer w.Close()
			f := greyFrame(t, 200, 100)
			require.NoError(t, w.Apply(f, 0))
			x0, y0, x1, y1, n := changed(f)
			if tc.x0 == tc.x1 {
				require.Zero(t, n)
				return
			}
			require.Equal(t, [4]int{tc.x0, tc.y0, tc.x1, tc.y1}, [4]int{x0, y0, x1, y1})
			require.Equal(t, (x1-x0)*(y1-y0), n, "every pixel inside is drawn")
			require.Equal(t, 235, px(f, 0, x0, y0), "opaque white")
		})
	}
}

// TestPlacementOddFrame: a frame of odd size has a last chroma column and
// row covering one luma pixel; a logo in that corner draws there without
// going out of bounds.
func TestPlacementOddFrame(t *testing.T) {
	red := solidPNG(t, 5, 5, color.NRGBA{255, 0, 0, 255})
	w, err := New(201, 101, Config{Layers: []Layer{{Image: red, Position: BottomRight}}})
	require.NoError(t, err)
	defer w.Close()
	f := greyFrame(t, 201, 101)
	require.NoError(t, w.Apply(f, 0))
	x0, y0, x1, y1, _ := changed(f)
	require.Equal(t, [4]int{196, 96, 201, 101}, [4]int{x0, y0, x1, y1})
	// The last chroma sample (100, 50) covers luma (200..201, 100..101), of
	// which only (200, 100) exists and is red: its block counts the
	// logo's one pixel there. U: (255·90 + 765·128 + 510) / 1020 = 121380 / 1020 = 119
	require.Equal(t, 119, px(f, 1, 100, 50))
	// (99, 49) covers (198..199, 98..99), all red.
	require.Equal(t, 90, px(f, 1, 99, 49))
}

// TestScale: Scale is the logo's width as a fraction of the frame width,
// with its height following the aspect ratio.
func TestScale(t *testing.T) {
	logo := solidPNG(t, 40, 20, white)
	for _, tc := range []struct {
		scale float64
		w, h  int
	}{
		{0, 40, 20},    // the picture's own size
		{0.25, 50, 25}, // 0.25 × 200
		{0.1, 20, 10},
		{1.5, 200, 100}, // 300 × 150, clipped to the frame
	} {
		w, err := New(200, 100, Config{Layers: []Layer{{Image: logo, Scale: tc.scale}}})
		require.NoError(t, err)
		f := greyFrame(t, 200, 100)
		require.NoError(t, w.Apply(f, 0))
		w.Close()
		x0, y0, x1, y1, n := changed(f)
		require.Equal(t, [4]int{0, 0, tc.w, tc.h}, [4]int{x0, y0, x1, y1}, "scale %v", tc.scale)
		require.Equal(t, tc.w*tc.h, n)
		require.Equal(t, 235, px(f, 0, tc.w/2, tc.h/2), "an opaque logo stays opaque when scaled")
	}
}
