package composite

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		n    int
		want []Rect
	}{
		{"full", 1280, 720, 1, []Rect{{0, 0, 1280, 720}}},
		{"full", 1280, 720, 5, []Rect{{0, 0, 1280, 720}}},
		{"pip", 1280, 720, 1, []Rect{{0, 0, 1280, 720}}},
		// 320 × 180 inset, margin 720/24 = 30.
		{"pip", 1280, 720, 2, []Rect{{0, 0, 1280, 720}, {930, 510, 320, 180}}},
		// 1080/4 = 270 (even), 1080/24 = 45 → 44.
		{"pip", 1920, 1080, 2, []Rect{{0, 0, 1920, 1080}, {1396, 766, 480, 270}}},
		// 360/4 = 90, 640/4 = 160, 640/24 = 26.
		{"pip", 360, 640, 2, []Rect{{0, 0, 360, 640}, {244, 454, 90, 160}}},
		{"side-by-side", 1280, 720, 2, []Rect{{0, 0, 640, 720}, {640, 0, 640, 720}}},
		{"side-by-side", 1278, 720, 1, []Rect{{0, 0, 639, 720}}},
		{"grid", 1280, 720, 4, []Rect{{0, 0, 640, 360}, {640, 0, 640, 360}, {0, 360, 640, 360}, {640, 360, 640, 360}}},
		{"grid", 1280, 720, 3, []Rect{{0, 0, 640, 360}, {640, 0, 640, 360}, {0, 360, 640, 360}}},
		// 1280/3: x = 0, 426, 853, 1280; y = 0, 240, 480, 720.
		{"grid", 1280, 720, 9, []Rect{
			{0, 0, 426, 240}, {426, 0, 427, 240}, {853, 0, 427, 240},
			{0, 240, 426, 240}, {426, 240, 427, 240}, {853, 240, 427, 240},
			{0, 480, 426, 240}, {426, 480, 427, 240}, {853, 480, 427, 240},
		}},
		{"grid", 1280, 720, 5, []Rect{{0, 0, 426, 240}, {426, 0, 427, 240}, {853, 0, 427, 240}, {0, 240, 426, 240}, {426, 240, 427, 240}}},
		// th = 180, tw = 135, bottom margin 90.
		{"host+3", 1280, 720, 4, []Rect{{0, 0, 1280, 720}, {1145, 450, 135, 180}, {1145, 269, 135, 180}, {1145, 88, 135, 180}}},
		// th = 160, tw = 120, bottom margin 80.
		{"host+3", 360, 640, 4, []Rect{{0, 0, 360, 640}, {240, 400, 120, 160}, {240, 239, 120, 160}, {240, 78, 120, 160}}},
		{"host+3", 360, 640, 2, []Rect{{0, 0, 360, 640}, {240, 400, 120, 160}}},
		{"host+3", 360, 640, 1, []Rect{{0, 0, 360, 640}}},
		// th = 270, tw = 202, bottom margin 135.
		{"host+3", 1920, 1080, 4, []Rect{{0, 0, 1920, 1080}, {1718, 675, 202, 270}, {1718, 404, 202, 270}, {1718, 133, 202, 270}}},
	} {
		got, err := Layout(tc.name, tc.w, tc.h, tc.n)
		require.NoError(t, err, "%s %d", tc.name, tc.n)
		require.Equal(t, tc.want, got, "%s %dx%d n=%d", tc.name, tc.w, tc.h, tc.n)
	}
}

func TestLayoutErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		n    int
		want string
	}{
		{"mosaic", 1280, 720, 1, `layout "mosaic": unknown (known: full, pip, side-by-side, grid, host+3)`},
		{"Grid", 1280, 720, 1, `layout "Grid": unknown`},
		{"grid", 1280, 720, 10, `layout "grid": 10 sources: it holds at most 9`},
		{"host+3", 1280, 720, 5, `layout "host+3": 5 sources: it holds at most 4`},
		{"pip", 1280, 720, 3, `layout "pip": 3 sources: it holds at most 2`},
		{"side-by-side", 1280, 720, 3, `layout "side-by-side": 3 sources: it holds at most 2`},
		{"full", 1280, 720, 0, `layout "full": 0 sources: needs at least 1`},
		{"grid", 0, 720, 4, `layout "grid": canvas 0x720 has no area`},
	} {
		_, err := Layout(tc.name, tc.w, tc.h, tc.n)
		require.ErrorContains(t, err, tc.want)
	}
	// Every listed layout is known.
	for _, name := range Layouts {
		_, err := Layout(name, 1280, 720, 1)
		require.NoError(t, err, name)
	}
}
