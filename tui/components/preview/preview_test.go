package preview

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/require"
)

// cell is one parsed terminal cell: its glyph and the SGR colour state in
// force when it was printed. Colours are the SGR parameters after 38/48
// ("2;r;g;b" or "5;n"); "" means the terminal default.
type cell struct {
	ch     rune
	fg, bg string
}

// parsed is the result of replaying Render's output through a minimal SGR
// interpreter that understands exactly the codes Render is allowed to emit.
type parsed struct {
	lines [][]cell
	// redundant counts SGRs that set a colour already in force, which the
	// change-only rule forbids.
	redundant int
}

func rgb(r, g, b uint8) string { return fmt.Sprintf("2;%d;%d;%d", r, g, b) }
func idx(n int) string         { return "5;" + strconv.Itoa(n) }

func parse(t *testing.T, s string) parsed {
	t.Helper()
	var p parsed
	for _, line := range strings.Split(s, "\n") {
		var cells []cell
		// State deliberately does not carry across lines: every line must
		// stand alone, so it must reset what it set.
		fg, bg := "", ""
		for i := 0; i < len(line); {
			if line[i] != 0x1b {
				r, n := utf8.DecodeRuneInString(line[i:])
				cells = append(cells, cell{ch: r, fg: fg, bg: bg})
				i += n
				continue
			}
			require.Less(t, i+1, len(line), "dangling ESC")
			require.Equal(t, byte('['), line[i+1], "only CSI sequences expected")
			end := strings.IndexByte(line[i:], 'm')
			require.Positive(t, end, "unterminated SGR in %q", line[i:])
			params := strings.Split(line[i+2:i+end], ";")
			i += end + 1
			switch {
			case len(params) == 1 && (params[0] == "0" || params[0] == ""):
				fg, bg = "", ""
			case len(params) >= 2 && (params[0] == "38" || params[0] == "48"):
				v := strings.Join(params[1:], ";")
				switch {
				case params[1] == "2" && len(params) == 5:
				case params[1] == "5" && len(params) == 3:
				default:
					t.Fatalf("malformed colour SGR %q", params)
				}
				target := &fg
				if params[0] == "48" {
					target = &bg
				}
				if *target == v {
					p.redundant++
				}
				*target = v
			default:
				t.Fatalf("unexpected SGR %q", params)
			}
		}
		// A line ending with colour in force would bleed into whatever the
		// TUI draws next to the preview.
		require.Empty(t, fg, "line ends with foreground set: %q", line)
		require.Empty(t, bg, "line ends with background set: %q", line)
		p.lines = append(p.lines, cells)
	}
	return p
}

// fill returns an image of the given rectangle filled by f(x, y), with x and
// y relative to r.Min, so tests can describe pictures independently of where
// their rectangle sits.
func fill(r image.Rectangle, f func(x, y int) color.RGBA) *image.RGBA {
	img := image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, f(x-r.Min.X, y-r.Min.Y))
		}
	}
	return img
}

func solid(w, h int, c color.RGBA) *image.RGBA {
	return fill(image.Rect(0, 0, w, h), func(int, int) color.RGBA { return c })
}

var bars = []color.RGBA{
	{255, 255, 255, 255}, // white
	{255, 255, 0, 255},   // yellow
	{0, 255, 255, 255},   // cyan
	{0, 255, 0, 255},     // green
	{255, 0, 255, 255},   // magenta
	{255, 0, 0, 255},     // red
	{0, 0, 255, 255},     // blue
	{0, 0, 0, 255},       // black
}

func colourBars(w, h int) *image.RGBA {
	return fill(image.Rect(0, 0, w, h), func(x, _ int) color.RGBA {
		return bars[x*len(bars)/w]
	})
}

func TestColourBars(t *testing.T) {
	const w, h = 64, 18
	var r Renderer
	out := r.Render(colourBars(256, 144), w, h, termenv.TrueColor)

	raw := strings.Split(out, "\n")
	require.Len(t, raw, h)
	for i, l := range raw {
		require.Equal(t, w, ansi.StringWidth(l), "line %d visible width", i)
	}

	p := parse(t, out)
	require.Zero(t, p.redundant, "colour codes repeated without a change")
	barW := w / len(bars)
	for y, line := range p.lines {
		require.Len(t, line, w, "line %d cell count", y)
		for x, c := range line {
			require.Equal(t, '▀', c.ch, "cell %d,%d", x, y)
			b := x / barW
			if x%barW == 0 || x%barW == barW-1 {
				continue // boundaries may blend
			}
			want := rgb(bars[b].R, bars[b].G, bars[b].B)
			require.Equal(t, want, c.fg, "fg of bar %d at cell %d,%d", b, x, y)
			require.Equal(t, want, c.bg, "bg of bar %d at cell %d,%d", b, x, y)
		}
		// One fg and one bg code per bar is all the change-only rule allows.
		require.Equal(t, len(bars), strings.Count(raw[y], "\x1b[38;2;"), "line %d", y)
		require.Equal(t, len(bars), strings.Count(raw[y], "\x1b[48;2;"), "line %d", y)
		require.True(t, strings.HasSuffix(raw[y], "\x1b[0m"), "line %d must end in a reset", y)
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		name           string
		iw, ih, w, h   int
		wantPW, wantPH int
	}{
		// Height-limited: ph = 2h, pw = round(iw·2h/ih) = round(35.56).
		{"16:9 in wide strip", 256, 144, 100, 10, 36, 20},
		// Width-limited: exact height 22.5 → nearest even is 22.
		{"16:9 in square", 256, 144, 40, 40, 40, 22},
		// Both limits meet exactly.
		{"16:9 exact", 256, 144, 64, 18, 64, 36},
		// Exact height 67.5 → nearest even 68 (not 66), still inside 2h.
		{"16:9 console", 256, 144, 120, 34, 120, 68},
		{"4:3 height-limited", 640, 480, 80, 24, 64, 48},
		// Exact height 30 is already even.
		{"4:3 width-limited", 640, 480, 40, 40, 40, 30},
		// Exact height 29.25 → nearest even 30 (29 would leave a half cell).
		{"4:3 odd height", 640, 480, 39, 40, 39, 30},
		{"9:16 portrait", 144, 256, 80, 24, 27, 48},
		// Exact height 17.78 → 18.
		{"9:16 width-limited", 144, 256, 10, 40, 10, 18},
		// Width 2.5 rounds half up to 3.
		{"round half up", 5, 4, 10, 1, 3, 2},
		{"very wide keeps a full cell", 1000, 1, 10, 5, 10, 2},
		{"very tall keeps a column", 1, 1000, 10, 5, 1, 10},
		{"upscale tiny", 2, 1, 80, 20, 80, 40},
		{"zero image width", 0, 144, 10, 10, 0, 0},
		{"zero image height", 256, 0, 10, 10, 0, 0},
		{"zero cells wide", 256, 144, 0, 10, 0, 0},
		{"zero cells tall", 256, 144, 10, 0, 0, 0},
		{"negative", 256, 144, -1, 10, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pw, ph := Fit(tt.iw, tt.ih, tt.w, tt.h)
			require.Equal(t, tt.wantPW, pw, "width")
			require.Equal(t, tt.wantPH, ph, "height")
		})
	}
}

// TestFitInvariants checks the rule over many shapes, not just the examples:
// inside the area, at least one side touching it, even height, and the aspect
// within the error rounding can cause.
func TestFitInvariants(t *testing.T) {
	for _, img := range [][2]int{{256, 144}, {640, 480}, {144, 256}, {1920, 1080}, {7, 3}, {1, 1}, {300, 7}} {
		for w := 1; w <= 130; w += 3 {
			for h := 1; h <= 70; h += 2 {
				pw, ph := Fit(img[0], img[1], w, h)
				msg := fmt.Sprintf("%dx%d in %dx%d → %dx%d", img[0], img[1], w, h, pw, ph)
				require.True(t, pw >= 1 && pw <= w, msg)
				require.True(t, ph >= 2 && ph <= 2*h, msg)
				require.Zero(t, ph%2, msg)
				require.True(t, pw == w || ph == 2*h, "must touch a side: "+msg)
				// Rounding moves the free side by at most 1 px (2 for the
				// even-rounded height), unless clamped to the minimum.
				if pw == w && ph > 2 {
					exact := float64(img[1]) * float64(w) / float64(img[0])
					require.LessOrEqual(t, abs64(float64(ph)-exact), 1.0, msg)
				}
				if ph == 2*h && pw > 1 && pw < w {
					exact := float64(img[0]) * float64(2*h) / float64(img[1])
					require.LessOrEqual(t, abs64(float64(pw)-exact), 0.5, msg)
				}
			}
		}
	}
}

func abs64(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestCentredAndPadded(t *testing.T) {
	var r Renderer
	for _, profile := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.Ascii} {
		t.Run(profile.Name(), func(t *testing.T) {
			out := r.Render(solid(256, 144, color.RGBA{200, 100, 50, 255}), 100, 10, profile)
			lines := strings.Split(out, "\n")
			require.Len(t, lines, 10)
			pad := strings.Repeat(" ", 32)
			p := parse(t, out)
			for y, l := range lines {
				require.Equal(t, 100, ansi.StringWidth(l), "line %d", y)
				// The padding must be raw spaces, so a left pad free of escapes
				// and, after the reset, a right pad free of escapes.
				require.True(t, strings.HasPrefix(l, pad), "line %d left pad: %q", y, l)
				require.True(t, strings.HasSuffix(l, pad), "line %d right pad: %q", y, l)
				require.NotContains(t, l[len(l)-32:], "\x1b")
				cells := p.lines[y]
				require.Len(t, cells, 100)
				for x, c := range cells {
					inside := x >= 32 && x < 68
					if !inside {
						require.Equal(t, cell{ch: ' '}, c, "padding cell %d,%d", x, y)
						continue
					}
					switch profile {
					case termenv.Ascii:
						require.NotEqual(t, ' ', c.ch, "picture cell %d,%d", x, y)
					default:
						require.Equal(t, '▀', c.ch, "picture cell %d,%d", x, y)
						require.NotEmpty(t, c.fg)
						require.NotEmpty(t, c.bg)
					}
				}
				if profile != termenv.Ascii {
					require.Equal(t, pad+strings.TrimSpace(l)+pad, l)
					require.True(t, strings.HasSuffix(strings.TrimRight(l, " "), "\x1b[0m"), "line %d reset before right pad", y)
				}
			}
		})
	}
}

func TestBlankBelowPicture(t *testing.T) {
	var r Renderer
	// 256×144 in 40×40 is 40×22 px: 11 picture lines, then 29 blank ones.
	out := r.Render(solid(256, 144, color.RGBA{10, 20, 30, 255}), 40, 40, termenv.TrueColor)
	lines := strings.Split(out, "\n")
	require.Len(t, lines, 40)
	for y, l := range lines {
		if y < 11 {
			require.Contains(t, l, "▀", "line %d", y)
			require.Equal(t, 40, ansi.StringWidth(l), "line %d", y)
		} else {
			require.Equal(t, strings.Repeat(" ", 40), l, "line %d", y)
		}
	}
}

func TestTopBottomSplit(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	blue := color.RGBA{0, 0, 255, 255}
	green := color.RGBA{0, 255, 0, 255}
	split := func(_, y int) color.RGBA {
		if y < 2 {
			return red
		}
		return blue
	}
	// A larger green canvas whose inner 8×4 region is the split picture, so
	// reading outside the sub-image would show up as green.
	canvas := fill(image.Rect(-5, -7, 20, 20), func(x, y int) color.RGBA {
		if x >= 8 && x < 16 && y >= 9 && y < 13 {
			return split(x-8, y-9)
		}
		return green
	})
	tests := []struct {
		name string
		img  *image.RGBA
	}{
		{"origin", fill(image.Rect(0, 0, 8, 4), split)},
		{"offset rect", fill(image.Rect(10, 20, 18, 24), split)},
		{"negative rect", fill(image.Rect(-30, -4, -22, 0), split)},
		{"sub-image", canvas.SubImage(image.Rect(3, 2, 11, 6)).(*image.RGBA)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Renderer
			p := parse(t, r.Render(tt.img, 4, 1, termenv.TrueColor))
			require.Len(t, p.lines, 1)
			require.Equal(t, []cell{
				{'▀', rgb(255, 0, 0), rgb(0, 0, 255)},
				{'▀', rgb(255, 0, 0), rgb(0, 0, 255)},
				{'▀', rgb(255, 0, 0), rgb(0, 0, 255)},
				{'▀', rgb(255, 0, 0), rgb(0, 0, 255)},
			}, p.lines[0])

			p = parse(t, r.Render(tt.img, 4, 1, termenv.ANSI256))
			require.Equal(t, cell{'▀', idx(196), idx(21)}, p.lines[0][0])
		})
	}
}

// TestBoxFilter checks fractional coverage: 3 source pixels onto 2 means each
// output takes one whole pixel and half of the middle one (weights 2:1).
func TestBoxFilter(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	top := []uint8{0, 90, 180}
	bot := []uint8{60, 120, 240}
	for x := 0; x < 3; x++ {
		// Alpha 0 must be ignored, not treated as transparent.
		img.SetRGBA(x, 0, color.RGBA{top[x], 0, 0, 0})
		img.SetRGBA(x, 1, color.RGBA{0, bot[x], 0, 255})
	}
	var r Renderer
	p := parse(t, r.Render(img, 2, 1, termenv.TrueColor))
	require.Equal(t, []cell{
		{'▀', rgb(30, 0, 0), rgb(0, 80, 0)},   // (0·2+90)/3, (60·2+120)/3
		{'▀', rgb(150, 0, 0), rgb(0, 200, 0)}, // (90+180·2)/3, (120+240·2)/3
	}, p.lines[0])

	// Averages round to nearest: (0 + 255)/2 = 127.5 → 128.
	img = fill(image.Rect(0, 0, 2, 2), func(x, _ int) color.RGBA {
		return color.RGBA{uint8(255 * x), 0, 0, 255}
	})
	p = parse(t, r.Render(img, 1, 1, termenv.TrueColor))
	require.Equal(t, []cell{{'▀', rgb(128, 0, 0), rgb(128, 0, 0)}}, p.lines[0])
}

func TestXterm256(t *testing.T) {
	tests := []struct {
		name    string
		r, g, b uint8
		want    uint8
	}{
		{"red", 255, 0, 0, 196},
		{"green", 0, 255, 0, 46},
		{"blue", 0, 0, 255, 21},
		{"white is the cube corner, not system 15", 255, 255, 255, 231},
		{"black is the cube corner, not system 0", 0, 0, 0, 16},
		{"mid grey is exact on the ramp", 128, 128, 128, 244},
		{"darkest ramp grey", 8, 8, 8, 232},
		{"lightest ramp grey", 238, 238, 238, 255},
		{"exact cube colour", 95, 135, 175, 67},
		{"near-grey prefers ramp", 100, 101, 99, 241},
		// Mean 12.67 is nearer ramp 8 than 18; rounding the mean to 13
		// first would wrongly pick 233.
		{"ramp midpoint without double rounding", 13, 13, 12, 232},
		{"saturated orange", 255, 128, 0, 208},
		// Equidistant (144) from cube black and ramp grey 8: the cube wins.
		{"tie goes to the cube", 0, 0, 12, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, xterm256(tt.r, tt.g, tt.b))
		})
	}
}

// TestXterm256Nearest compares against an exhaustive search of the palette,
// so the per-channel shortcut cannot silently pick a farther colour.
func TestXterm256Nearest(t *testing.T) {
	type entry struct{ r, g, b int }
	var pal [256]entry
	for i := 16; i < 232; i++ {
		c := i - 16
		pal[i] = entry{cubeLevels[c/36], cubeLevels[c/6%6], cubeLevels[c%6]}
	}
	for i := 232; i < 256; i++ {
		v := 8 + 10*(i-232)
		pal[i] = entry{v, v, v}
	}
	dist := func(i int, r, g, b int) int {
		return sq(pal[i].r-r) + sq(pal[i].g-g) + sq(pal[i].b-b)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(r, g, b int) {
		best := 16
		for i := 17; i < 256; i++ {
			if dist(i, r, g, b) < dist(best, r, g, b) {
				best = i
			}
		}
		got := int(xterm256(uint8(r), uint8(g), uint8(b)))
		require.GreaterOrEqual(t, got, 16)
		require.Equal(t, dist(best, r, g, b), dist(got, r, g, b),
			"(%d,%d,%d): got %d, nearest %d", r, g, b, got, best)
	}
	for v := 0; v < 256; v++ {
		check(v, v, v)
		check(v, v, (v+1)&255)
		check(v, 0, 255-v)
	}
	for range 20000 {
		check(rng.IntN(256), rng.IntN(256), rng.IntN(256))
	}
}

func TestANSI256Render(t *testing.T) {
	var r Renderer
	img := colourBars(256, 144)
	out := r.Render(img, 64, 18, termenv.ANSI256)
	p := parse(t, out)
	require.Zero(t, p.redundant)
	require.NotContains(t, out, "38;2;", "no 24-bit codes in 256-colour mode")
	want := []int{231, 226, 51, 46, 201, 196, 21, 16}
	for y, line := range p.lines {
		require.Len(t, line, 64)
		for x := 4; x < 64; x += 8 {
			w := idx(want[x/8])
			require.Equal(t, cell{'▀', w, w}, line[x], "cell %d,%d", x, y)
		}
	}
	// 16-colour terminals get the same 256-colour output.
	require.Equal(t, out, r.Render(img, 64, 18, termenv.ANSI))
}

func TestAscii(t *testing.T) {
	tests := []struct {
		name string
		grey uint8
		want byte
	}{
		{"black", 0, ' '},
		{"white", 255, '@'},
		{"mid grey", 128, '+'}, // luma 128 of 255 → step 5.02 of 10
		{"dark grey", 30, '.'},
		// The ten steps split luma 0..255 evenly (25.5 wide each); these pin
		// the edges of the first and last steps.
		{"last blank", 25, ' '},
		{"first dot", 26, '.'},
		{"last percent", 229, '%'},
		{"first at", 230, '@'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Renderer
			out := r.Render(solid(256, 144, color.RGBA{tt.grey, tt.grey, tt.grey, 255}), 64, 18, termenv.Ascii)
			require.NotContains(t, out, "\x1b")
			want := strings.Repeat(strings.Repeat(string(tt.want), 64)+"\n", 18)
			require.Equal(t, want[:len(want)-1], out)
		})
	}

	// Luma weights green most and blue least, so pure colours of equal
	// intensity land on different ramp steps; the two pixels of a cell are
	// averaged. Steps are luma·10/255, truncated.
	var r Renderer
	cases := []struct {
		top, bot color.RGBA
		want     byte
	}{
		{color.RGBA{0, 255, 0, 255}, color.RGBA{0, 255, 0, 255}, '+'},         // 149.7 → 5.87
		{color.RGBA{255, 0, 0, 255}, color.RGBA{255, 0, 0, 255}, ':'},         // 76.2 → 2.99
		{color.RGBA{0, 0, 255, 255}, color.RGBA{0, 0, 255, 255}, '.'},         // 29.1 → 1.14
		{color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255}, '-'},         // 89.4 → 3.51
		{color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255}, '='},       // 127.5 → 4.99
		{color.RGBA{220, 220, 220, 255}, color.RGBA{200, 200, 200, 255}, '%'}, // 210 → 8.24
		{color.RGBA{255, 255, 255, 255}, color.RGBA{255, 255, 0, 255}, '@'},   // 240.5 → 9.43

	}
	for _, c := range cases {
		img := fill(image.Rect(0, 0, 1, 2), func(_, y int) color.RGBA {
			if y == 0 {
				return c.top
			}
			return c.bot
		})
		require.Equal(t, string(c.want), r.Render(img, 1, 1, termenv.Ascii), "%v over %v", c.top, c.bot)
	}
}

func TestDegenerate(t *testing.T) {
	img := solid(256, 144, color.RGBA{255, 0, 0, 255})
	tests := []struct {
		name string
		img  *image.RGBA
		w, h int
		want string
	}{
		{"nil image", nil, 5, 3, "     \n     \n     "},
		{"empty image", image.NewRGBA(image.Rect(3, 3, 3, 9)), 2, 2, "  \n  "},
		{"zero width", img, 0, 3, "\n\n"},
		{"negative width", img, -4, 2, "\n"},
		{"zero height", img, 10, 0, ""},
		{"negative height", img, 10, -1, ""},
		{"nil and zero", nil, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, profile := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
				var r Renderer
				require.Equal(t, tt.want, r.Render(tt.img, tt.w, tt.h, profile), profile.Name())
			}
		})
	}
}

// TestReuse renders different sizes and pictures through one Renderer, so
// stale cached weights or buffers would show up as a wrong picture.
func TestReuse(t *testing.T) {
	var shared Renderer
	imgs := []*image.RGBA{colourBars(256, 144), noise(256, 144, 3), colourBars(160, 90), noise(37, 81, 4)}
	sizes := [][2]int{{64, 18}, {120, 34}, {7, 3}, {64, 18}, {1, 1}, {200, 5}}
	for _, img := range imgs {
		for _, sz := range sizes {
			for _, profile := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.Ascii} {
				var fresh Renderer
				want := fresh.Render(img, sz[0], sz[1], profile)
				require.Equal(t, want, shared.Render(img, sz[0], sz[1], profile))
				lines := strings.Split(want, "\n")
				require.Len(t, lines, sz[1])
				for _, l := range lines {
					require.Equal(t, sz[0], ansi.StringWidth(l))
				}
			}
		}
	}
}

func TestSteadyStateAllocs(t *testing.T) {
	var r Renderer
	img := noise(256, 144, 1)
	for _, profile := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.Ascii} {
		r.Render(img, 120, 34, profile) // warm the buffers
		allocs := testing.AllocsPerRun(20, func() { r.Render(img, 120, 34, profile) })
		require.Equal(t, 1.0, allocs, "%s: only the returned string may allocate", profile.Name())
	}
}

// noise gives every pixel an independent colour: the worst case for output
// size, since every cell changes both colours.
func noise(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, seed))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.UintN(256))
	}
	return img
}

func BenchmarkRender120x34(b *testing.B) {
	// Noise would be averaged to mush by the filter; a smooth gradient with
	// fine detail keeps neighbouring cells distinct, like real video.
	img := fill(image.Rect(0, 0, 256, 144), func(x, y int) color.RGBA {
		return color.RGBA{uint8(x), uint8(y * 255 / 143), uint8((x*7 + y*13) & 255), 255}
	})
	var r Renderer
	r.Render(img, 120, 34, termenv.TrueColor)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Render(img, 120, 34, termenv.TrueColor)
	}
}
