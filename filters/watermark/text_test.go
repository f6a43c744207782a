package watermark

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTextBox: text with an opaque box changes pixels inside the box and
// nowhere else; the box's colour is exact where there is no glyph (the
// padding band), and glyphs are drawn inside.
func TestTextBox(t *testing.T) {
	const pad = 6
	w, err := New(320, 180, Config{Layers: []Layer{{Text: "Hi there", Size: 24, Color: "white", Box: "#204060", Padding: pad, Position: TopLeft, Margin: 10}}})
	require.NoError(t, err)
	defer w.Close()
	f := greyFrame(t, 320, 180)
	require.NoError(t, w.Apply(f, 0))

	// #204060 is Y 66, U 147, V 112 (TestRGBToYUV); opaque, so the box
	// (anchored at the margin) is exactly that.
	x0, y0, x1, y1, n := changed(f)
	require.Equal(t, [2]int{10, 10}, [2]int{x0, y0}, "the box's corner is at the margin")
	require.Equal(t, (x1-x0)*(y1-y0), n, "the box covers its whole rectangle")
	require.Greater(t, x1-x0, 80, "8 letters at 24 px")
	// DejaVu's d rises 0.76 em, its g drops 0.24 em.
	require.GreaterOrEqual(t, y1-y0, 22+2*pad, "at least the font's ascent and descent plus padding")
	requireOutsideUntouched(t, f, x0, y0, x1, y1, x0/2, y0/2, (x1+1)/2, (y1+1)/2)

	glyph := 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			inPad := x < x0+pad || x >= x1-pad || y < y0+pad || y >= y1-pad
			if inPad {
				require.Equal(t, 66, px(f, 0, x, y), "box luma at %d,%d", x, y)
			} else if px(f, 0, x, y) != 66 {
				glyph++
			}
		}
	}
	require.Greater(t, glyph, 100, "white glyphs inside the box")
	// Chroma samples wholly inside the padding band are the box's too.
	for cy := y0 / 2; cy < (y0+pad)/2; cy++ {
		for cx := x0 / 2; cx < x1/2; cx++ {
			require.Equal(t, [2]int{147, 112}, [2]int{px(f, 1, cx, cy), px(f, 2, cx, cy)})
		}
	}
}

// TestTextTranslucentBox: a box colour's alpha and the layer opacity
// follow the formulas in compose.
func TestTextTranslucentBox(t *testing.T) {
	for _, tc := range []struct {
		name    string
		box     string
		opacity float64
		y       int
	}{
		// Black at alpha 128: a = 128, PY = 128·16 = 2048;
		// out = (2048 + 127·100 + 127) / 255 = 14875 / 255 = 58.3 → 58.
		{"half-transparent black", "#00000080", 1, 58},
		// #204060 at opacity 0.5 (o = 128): a = (255·128 + 127) / 255 = 128,
		// PY = (255·66·128 + 127) / 255 = 8448;
		// out = (8448 + 127·100 + 127) / 255 = 21275 / 255 = 83.4 → 83.
		{"opaque box at opacity 0.5", "#204060", 0.5, 83},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(320, 180, Config{Layers: []Layer{{Text: "x", Box: tc.box, Padding: 4, Opacity: tc.opacity, X: 20, Y: 30}}})
			require.NoError(t, err)
			defer w.Close()
			f := greyFrame(t, 320, 180)
			require.NoError(t, w.Apply(f, 0))
			x0, y0, _, _, _ := changed(f)
			require.Equal(t, [2]int{20, 30}, [2]int{x0, y0})
			require.Equal(t, tc.y, px(f, 0, 21, 31), "in the padding")
		})
	}
}

// TestTextNoBox: without a box only glyph pixels change, all within the
// placed rectangle; the rectangle (text advance plus padding) is what the
// anchor places.
func TestTextNoBox(t *testing.T) {
	w, err := New(320, 180, Config{Layers: []Layer{{Text: "Hello", Size: 30, Padding: 5, Position: BottomRight, Margin: 8}}})
	require.NoError(t, err)
	defer w.Close()
	f := greyFrame(t, 320, 180)
	require.NoError(t, w.Apply(f, 0))
	x0, y0, x1, y1, n := changed(f)
	require.Greater(t, n, 0)
	require.Less(t, n, (x1-x0)*(y1-y0), "glyphs, not a filled box")
	require.LessOrEqual(t, x1, 320-8-5, "right margin and padding")
	require.LessOrEqual(t, y1, 180-8-5, "bottom margin and padding")
	require.Greater(t, x1, 320-8-5-4, "ink ends near the advance box")
	for _, s := range planes(f)[0] {
		require.True(t, s >= greyY, "white text never darkens (no fringe): %d", s)
	}
}

// TestTextFontPathEscaping: a font path with the characters filter graph
// syntax uses (: , ' [ ] ; space) works.
func TestTextFontPathEscaping(t *testing.T) {
	data, err := os.ReadFile(DefaultFont)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "a:b, c'd [x];e.ttf")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	draw := func(font string) [3][]byte {
		w, err := New(320, 180, Config{Layers: []Layer{{Text: "Escaped: 'ok', [1];", Font: font}}})
		require.NoError(t, err)
		defer w.Close()
		f := greyFrame(t, 320, 180)
		require.NoError(t, w.Apply(f, 0))
		return planes(f)
	}
	require.Equal(t, draw(DefaultFont), draw(path))
	// A different font does draw differently (so the path was not ignored
	// in favour of fontconfig's default).
	require.NotEqual(t, draw(DefaultFont), draw("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"))
}

// TestTextWide: wide glyphs overflow the first canvas guess; the text is
// drawn whole on a larger one.
func TestTextWide(t *testing.T) {
	w, err := New(1280, 180, Config{Layers: []Layer{{Text: "WWWWWWWWWWWWWWWWWWWW", Size: 40, Box: "black"}}})
	require.NoError(t, err)
	defer w.Close()
	f := greyFrame(t, 1280, 180)
	require.NoError(t, w.Apply(f, 0))
	_, _, x1, _, _ := changed(f)
	require.Greater(t, x1, 20*36, "20 W at 40 px (about 0.99 em each)")
	require.Less(t, x1, 1280)
}

// TestTextMultiline: "\n" starts a new line, the box grows down.
func TestTextMultiline(t *testing.T) {
	one, err := New(320, 180, Config{Layers: []Layer{{Text: "one", Box: "black"}}})
	require.NoError(t, err)
	defer one.Close()
	two, err := New(320, 180, Config{Layers: []Layer{{Text: "one\ntwo", Box: "black"}}})
	require.NoError(t, err)
	defer two.Close()
	require.Greater(t, two.layers[0].bm.h, one.layers[0].bm.h+15, "a second line of 24 px")
}

// TestTextIsLiteral: text reaches drawtext as data, never as its
// expansion syntax: "%{pts}" would otherwise be drawn as the canvas'
// timestamp, "2.000000" (the probe is frame 1, the text frame 2).
func TestTextIsLiteral(t *testing.T) {
	draw := func(text string) bitmap {
		w, err := New(320, 180, Config{Layers: []Layer{{Text: text}}})
		require.NoError(t, err)
		defer w.Close()
		return w.layers[0].bm
	}
	literal, expanded := draw("%{pts}"), draw("2.000000")
	require.NotEqual(t, expanded.w, literal.w)
	require.NotEqual(t, expanded.a, literal.a)
}
