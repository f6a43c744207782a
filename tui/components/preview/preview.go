// Package preview draws the program picture in the terminal so the operator of
// the live console can see what is on air without leaving the TUI. Each
// terminal cell shows two vertically stacked pixels using the upper half block
// '▀' (foreground = top pixel, background = bottom pixel), which doubles the
// vertical resolution and makes the square-ish pixel grid line up with the
// roughly 1:2 shape of a terminal cell.
//
// The package is pure Go and renders on every UI frame, so the Renderer keeps
// its scratch buffers between calls; steady-state rendering allocates only the
// returned string.
package preview

import (
	"image"
	"strconv"

	"github.com/muesli/termenv"
)

// asciiRamp orders characters from visually empty to visually full so a cell's
// brightness survives on terminals that cannot show colour.
const asciiRamp = " .:-=+*#%@"

// upperHalf is '▀' in UTF-8; appending the bytes directly avoids rune encoding
// in the hot loop.
var upperHalf = [...]byte{0xe2, 0x96, 0x80}

// Renderer turns RGBA pictures into terminal text. It keeps its buffers
// between calls so that steady-state rendering does not allocate (except the
// returned string). A Renderer is not safe for concurrent use; give each
// goroutine its own. The zero value is ready to use.
type Renderer struct {
	xs, ys axis     // resampling weights, cached while sizes stay the same
	acc    []uint32 // vertically weighted sums for one output row, iw × 4
	pix    []uint8  // scaled picture, ph rows × pw pixels × 3 (RGB)
	buf    []byte   // output text, converted to the returned string
}

// axis holds the box-filter weights for resampling one dimension of n source
// pixels to m output pixels. Working in units of 1/m source pixel (so that
// output pixel i covers exactly n units) makes every overlap an integer and
// every output's weights sum to n: the filter is exact, with no rounding until
// the final division.
type axis struct {
	n, m  int
	first []int32 // first source pixel contributing to each output pixel
	off   []int32 // weights of output i are w[off[i]:off[i+1]]
	w     []uint32
}

func (a *axis) build(n, m int) {
	if a.n == n && a.m == m {
		return
	}
	a.n, a.m = n, m
	a.first = a.first[:0]
	a.off = append(a.off[:0], 0)
	a.w = a.w[:0]
	for i := 0; i < m; i++ {
		lo, hi := i*n, (i+1)*n // output span in units
		j := lo / m
		a.first = append(a.first, int32(j))
		for ; j*m < hi; j++ {
			s, e := max(lo, j*m), min(hi, (j+1)*m)
			a.w = append(a.w, uint32(e-s))
		}
		a.off = append(a.off, int32(len(a.w)))
	}
}

// Fit returns the picture size in pixels (width, height) that Render uses for
// an image of iw×ih inside w×h cells: as large as fits in w × 2h pixels with
// the aspect kept (round to nearest, at least 1×1; the height rounded to an
// even number of pixels where it can be, so cells are full).
//
// Precisely: if the width is the limiting side, pw = w and ph is iw×ih's
// exact scaled height rounded to the nearest even number (ties up), at least 2;
// otherwise ph = 2h and pw is the exact scaled width rounded to nearest (ties
// up), at least 1. Because 2h is even and the limiting side is never exceeded,
// the height is always even for valid input. Any non-positive argument gives
// 0, 0.
func Fit(iw, ih, w, h int) (pw, ph int) {
	if iw < 1 || ih < 1 || w < 1 || h < 1 {
		return 0, 0
	}
	maxW, maxH := w, 2*h
	if maxW*ih <= maxH*iw { // width-limited: scale = maxW/iw
		// Exact height is ih*maxW/iw; round half of it to nearest, then double.
		ph = 2 * ((ih*maxW + iw) / (2 * iw))
		return maxW, min(max(ph, 2), maxH)
	}
	// Height-limited: scale = maxH/ih.
	pw = (2*iw*maxH + ih) / (2 * ih)
	return min(max(pw, 1), maxW), maxH
}

// Render draws img scaled to fit inside a w×h cell area (each cell is 1 pixel
// wide and 2 pixels tall, drawn with '▀' whose foreground is the top pixel and
// background the bottom pixel), keeping the picture's aspect ratio (pixels are
// assumed square: a cell is about twice as tall as wide), centred
// horizontally, top-aligned. It returns exactly h lines joined by "\n" (no
// trailing newline), each exactly w cells wide (padding with plain spaces, no
// colour, left and right of the picture and below it). Colour is emitted
// according to profile:
//
//   - termenv.TrueColor: 24-bit SGR (ESC[38;2;r;g;bm / ESC[48;2;r;g;bm),
//     emitting a colour code only when it changes from the previous cell on
//     the same line, and ESC[0m at the end of every line that used colour
//     (before the right padding).
//   - termenv.ANSI256: the nearest xterm-256 colour (6×6×6 cube 16..231 and
//     grey ramp 232..255, whichever is nearer in RGB; the cube wins ties),
//     ESC[38;5;Nm / ESC[48;5;Nm, same change-only rule and reset.
//   - termenv.ANSI (16 colours): treated like ANSI256, since the terminals the
//     console runs in all support 256 colours and 16 would be unrecognisable.
//   - termenv.Ascii (and any unknown profile, so an unexpected value can never
//     leak escape codes): no escape codes at all; each cell is one character
//     from the ramp " .:-=+*#%@" chosen by the mean luma (BT.601:
//     0.299R+0.587G+0.114B) of its two pixels.
//
// Scaling is a box filter: each output pixel is the exact area-weighted
// average of the source pixels its area covers. Alpha is ignored (pixels are
// treated as opaque): what goes to air has no transparency, so the preview
// shows the colour values as they are rather than blending them with a
// background the viewer never sees.
//
// A nil img (or an empty one), or w<1 or h<1, gives h blank lines of w spaces
// (or "" when h<1).
func (r *Renderer) Render(img *image.RGBA, w, h int, profile termenv.Profile) string {
	if h < 1 {
		return ""
	}
	r.buf = r.buf[:0]
	w = max(w, 0)
	var iw, ih int
	if img != nil {
		iw, ih = img.Rect.Dx(), img.Rect.Dy()
	}
	pw, ph := Fit(iw, ih, w, h)
	if pw == 0 || ph == 0 {
		for y := 0; y < h; y++ {
			if y > 0 {
				r.buf = append(r.buf, '\n')
			}
			r.buf = appendSpaces(r.buf, w)
		}
		return string(r.buf)
	}

	r.scale(img, iw, ih, pw, ph)

	left := (w - pw) / 2
	right := w - pw - left
	lines := ph / 2
	// Reserve the worst case up front (two 19-byte SGRs and a 3-byte glyph
	// per cell, a 4-byte reset per line) so growth happens at most once, on
	// the first frame at a given size, instead of by repeated doubling.
	if need := h*(w+1) + lines*(pw*41+4); cap(r.buf) < need {
		r.buf = make([]byte, 0, need)
	}
	for y := 0; y < h; y++ {
		if y > 0 {
			r.buf = append(r.buf, '\n')
		}
		if y >= lines {
			r.buf = appendSpaces(r.buf, w)
			continue
		}
		r.buf = appendSpaces(r.buf, left)
		top := r.pix[(2*y)*pw*3 : (2*y+1)*pw*3]
		bot := r.pix[(2*y+1)*pw*3 : (2*y+2)*pw*3]
		switch profile {
		case termenv.TrueColor:
			r.buf = appendTrueColorLine(r.buf, top, bot)
		case termenv.ANSI256, termenv.ANSI:
			r.buf = append256Line(r.buf, top, bot)
		default:
			r.buf = appendASCIILine(r.buf, top, bot)
		}
		r.buf = appendSpaces(r.buf, right)
	}
	return string(r.buf)
}

// scale box-filters img down (or up) to pw×ph into r.pix, separably. For
// each output row it first sums the covered source rows, weighted, into r.acc
// across the full width (a simple streaming loop), then weights those sums
// horizontally and divides once with rounding, so no precision is lost in
// between. Going vertical-first does the irregular per-pixel horizontal work
// for ph rows rather than ih. The row sums are at most 255×ih, so uint32 holds
// them for any image shorter than 16 million rows. r.acc keeps the source's
// 4-byte layout so both passes index it the same way; its alpha slots are
// never written or read.
func (r *Renderer) scale(img *image.RGBA, iw, ih, pw, ph int) {
	r.xs.build(iw, pw)
	r.ys.build(ih, ph)
	r.acc = grow(r.acc, iw*4)
	r.pix = grow(r.pix, ph*pw*3)

	// Pix[0] is the pixel at Rect.Min, so indexing relative to the origin of
	// Rect works for sub-images and rectangles not starting at (0,0).
	pix, stride := img.Pix, img.Stride
	xs, ys := &r.xs, &r.ys
	den := uint64(iw) * uint64(ih)
	half := den / 2
	for oy := 0; oy < ph; oy++ {
		acc := r.acc[:iw*4]
		y0 := int(ys.first[oy])
		for k, wt := range ys.w[ys.off[oy]:ys.off[oy+1]] {
			row := pix[(y0+k)*stride:][:len(acc)]
			if k == 0 { // assign rather than add, which saves clearing acc
				for i := 0; i+3 < len(row); i += 4 {
					a, p := acc[i:i+3:i+3], row[i:i+3:i+3]
					a[0] = wt * uint32(p[0])
					a[1] = wt * uint32(p[1])
					a[2] = wt * uint32(p[2])
				}
				continue
			}
			for i := 0; i+3 < len(row); i += 4 {
				a, p := acc[i:i+3:i+3], row[i:i+3:i+3]
				a[0] += wt * uint32(p[0])
				a[1] += wt * uint32(p[1])
				a[2] += wt * uint32(p[2])
			}
		}

		dst := r.pix[oy*pw*3:][:pw*3]
		for ox := 0; ox < pw; ox++ {
			a := acc[int(xs.first[ox])*4:]
			var sr, sg, sb uint64
			for k, wt := range xs.w[xs.off[ox]:xs.off[ox+1]] {
				q := a[k*4 : k*4+3 : k*4+3]
				sr += uint64(wt) * uint64(q[0])
				sg += uint64(wt) * uint64(q[1])
				sb += uint64(wt) * uint64(q[2])
			}
			d := dst[ox*3 : ox*3+3 : ox*3+3]
			d[0] = uint8((sr + half) / den)
			d[1] = uint8((sg + half) / den)
			d[2] = uint8((sb + half) / den)
		}
	}
}

func appendTrueColorLine(b, top, bot []byte) []byte {
	// -1 never equals a packed 24-bit colour, so the first cell always emits.
	fg, bg := int32(-1), int32(-1)
	for i := 0; i+2 < len(top); i += 3 {
		t := int32(top[i])<<16 | int32(top[i+1])<<8 | int32(top[i+2])
		u := int32(bot[i])<<16 | int32(bot[i+1])<<8 | int32(bot[i+2])
		if t != fg {
			b = appendRGB(b, '3', top[i], top[i+1], top[i+2])
			fg = t
		}
		if u != bg {
			b = appendRGB(b, '4', bot[i], bot[i+1], bot[i+2])
			bg = u
		}
		b = append(b, upperHalf[:]...)
	}
	return append(b, "\x1b[0m"...)
}

func append256Line(b, top, bot []byte) []byte {
	fg, bg := -1, -1
	for i := 0; i+2 < len(top); i += 3 {
		t := xterm256(top[i], top[i+1], top[i+2])
		u := xterm256(bot[i], bot[i+1], bot[i+2])
		if int(t) != fg {
			b = append(b, "\x1b[38;5;"...)
			b = appendDec(b, t)
			b = append(b, 'm')
			fg = int(t)
		}
		if int(u) != bg {
			b = append(b, "\x1b[48;5;"...)
			b = appendDec(b, u)
			b = append(b, 'm')
			bg = int(u)
		}
		b = append(b, upperHalf[:]...)
	}
	return append(b, "\x1b[0m"...)
}

func appendASCIILine(b, top, bot []byte) []byte {
	for i := 0; i+2 < len(top); i += 3 {
		// Luma of both pixels summed, scaled by 1000 to stay in integers:
		// 0 ..= 510000. Dividing by one more than the maximum splits the
		// range into ten equal steps with white landing in the last one.
		l := 299*(uint32(top[i])+uint32(bot[i])) +
			587*(uint32(top[i+1])+uint32(bot[i+1])) +
			114*(uint32(top[i+2])+uint32(bot[i+2]))
		b = append(b, asciiRamp[l*uint32(len(asciiRamp))/510001])
	}
	return b
}

// appendRGB appends ESC[<layer>8;2;r;g;bm, where layer is '3' (foreground)
// or '4' (background).
func appendRGB(b []byte, layer byte, r, g, bl uint8) []byte {
	b = append(b, 0x1b, '[', layer, '8', ';', '2', ';')
	b = appendDec(b, r)
	b = append(b, ';')
	b = appendDec(b, g)
	b = append(b, ';')
	b = appendDec(b, bl)
	return append(b, 'm')
}

// decimal holds the text of every byte value (digits, then the length in the
// last byte). Emitting up to 8000 numbers a frame, a copy from this table
// costs a fraction of strconv.AppendUint's general conversion.
var decimal = func() (t [256][4]byte) {
	for v := range t {
		s := strconv.Itoa(v)
		copy(t[v][:], s)
		t[v][3] = byte(len(s))
	}
	return t
}()

func appendDec(b []byte, v uint8) []byte {
	// Appending a fixed three bytes and trimming compiles to plain stores;
	// appending d[:n] would call memmove for every number.
	d := &decimal[v]
	b = append(b, d[0], d[1], d[2])
	return b[:len(b)-3+int(d[3])]
}

// cubeLevels are the channel intensities of xterm's 6×6×6 colour cube.
var cubeLevels = [6]int{0, 95, 135, 175, 215, 255}

// cubeIndex maps a channel value to its nearest cube level. Distance in RGB is
// a per-channel sum, so choosing each channel independently yields the nearest
// cube colour overall.
var cubeIndex = func() (t [256]uint8) {
	for v := range t {
		best := 0
		for i, l := range cubeLevels {
			if abs(v-l) < abs(v-cubeLevels[best]) {
				best = i
			}
		}
		t[v] = uint8(best)
	}
	return t
}()

// xterm256 returns the xterm-256 palette index nearest to (r, g, b) in squared
// RGB distance, choosing between the 6×6×6 cube (16..231) and the grey ramp
// (232..255, levels 8, 18, …, 238); the cube wins ties. The 16 system colours
// are never chosen because terminals theme them freely, so their RGB is
// unknown.
func xterm256(r, g, b uint8) uint8 {
	ri, gi, bi := cubeIndex[r], cubeIndex[g], cubeIndex[b]
	cr, cg, cb := cubeLevels[ri], cubeLevels[gi], cubeLevels[bi]
	dc := sq(int(r)-cr) + sq(int(g)-cg) + sq(int(b)-cb)

	// The grey minimising the distance is the one nearest the mean channel
	// value, since the distance is a parabola in the grey level. Working with
	// the sum (3× the mean) avoids rounding the mean first, which would pick
	// the wrong grey near the midpoints: i = round((sum/3-8)/10).
	sum := int(r) + int(g) + int(b)
	gi2 := min(max((sum-9)/30, 0), 23)
	gl := 8 + 10*gi2
	dg := sq(int(r)-gl) + sq(int(g)-gl) + sq(int(b)-gl)

	if dg < dc {
		return uint8(232 + gi2)
	}
	return 16 + 36*ri + 6*gi + bi
}

func appendSpaces(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func sq(v int) int { return v * v }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
