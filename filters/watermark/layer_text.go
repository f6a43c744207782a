package watermark

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
)

// metaKey is the frame metadata entry the text travels in: drawtext's text
// is "%{metadata:studio_wm}", so a new line of text is a metadata change on
// the canvas, not a filter re-init (which reloads the font from disk), and
// user text is never parsed as drawtext expansions or option syntax.
const metaKey = "studio_wm"

// probeText spans the font's usual extent above and below the baseline
// (ascender of d, descender of g): every rendering's box is at least this
// tall, so a clock's box and baseline do not jump when its text happens to
// lack tall or deep letters.
const probeText = "Xdg"

// textStyle is what a text or clock layer looks like.
type textStyle struct {
	font    string
	size    int
	color   [4]uint8 // straight RGBA
	box     [4]uint8
	hasBox  bool
	padding int
	opacity int // 0..255
}

// textRenderer draws lines of text into small premultiplied YUVA pixels
// with FFmpeg's drawtext, on a transparent canvas that only ever holds
// coverage: drawtext blends every channel, alpha included, as if onto an
// opaque picture, so it cannot be trusted with a translucent colour on a
// transparent canvas (the colour comes out mixed with the canvas' and the
// alpha squared). Instead it draws
//
//   - in the canvas' top half, the text in opaque white: the alpha channel
//     is the glyph coverage m (0..255);
//   - in its bottom half, the same text invisible with drawtext's box in
//     opaque white: the box's columns give the text's advance width, which
//     the ink alone does not (spaces, side bearings).
//
// and Go applies colours, box and opacity with exact integer formulas
// (see compose). Both passes put the baseline on a fixed row (y=BASE-ascent),
// so the text never moves vertically with its content.
type textRenderer struct {
	style textStyle

	g           *filters.Graph
	canvas, out *astiav.Frame
	cw, hh      int // canvas width and half height
	ox, base    int // text origin column and baseline row in each half
	pts         int64

	probeTop, probeBot int // rows of the probe's box, relative to base: [top, bot)

	yt, ut, vt, yb, ub, vb int // text and box colours in YUV

	// Result of the last render: pixels, and the layout rectangle (box
	// including padding) within them, which is what positions anchor.
	px             pixels
	lx, ly, lw, lh int

	wide, high, tall    bool // the last render reached the canvas' sides, top, bottom
	runes, lines, above int  // what the canvas was sized for
}

// errCanvas says that the text reached the canvas' edge: the renderer is
// rebuilt larger and the text drawn again.
var errCanvas = errors.New("text larger than its canvas")

// newTextRenderer checks the font and builds a renderer whose canvas fits
// about runes characters on lines lines.
func newTextRenderer(st textStyle, runes, lines int) (*textRenderer, error) {
	if err := checkFont(st.font); err != nil {
		return nil, err
	}
	r := &textRenderer{style: st}
	r.yt, r.ut, r.vt = rgbToYUV(int(st.color[0]), int(st.color[1]), int(st.color[2]))
	r.yb, r.ub, r.vb = rgbToYUV(int(st.box[0]), int(st.box[1]), int(st.box[2]))
	if err := r.build(runes, lines, 2); err != nil {
		return nil, err
	}
	return r, nil
}

// build (re)creates the canvas and the graph for runes characters on
// lines lines, with above em above the baseline. Sizes are generous
// guesses (most glyphs are narrower than 3/4 em, accents rise less than
// 1.5 em); render reports errCanvas when a guess was short.
func (r *textRenderer) build(runes, lines, above int) error {
	r.free()
	r.runes, r.lines, r.above = runes, lines, above
	s := r.style.size
	r.ox = s
	r.base = above * s
	r.cw = 2*r.ox + (runes*3+3)/4*s + s
	r.hh = r.base + s + max(0, lines-1)*2*s + s

	r.canvas = astiav.AllocFrame()
	r.out = astiav.AllocFrame()
	r.canvas.SetWidth(r.cw)
	r.canvas.SetHeight(2 * r.hh)
	r.canvas.SetPixelFormat(astiav.PixelFormatRgba)
	if err := r.canvas.AllocBuffer(0); err != nil {
		r.free()
		return fmt.Errorf("text canvas: %w", err)
	}
	// Transparent black, kept clean: the graph gets a reference and
	// drawtext writes into its own copy.
	plane, _ := av.PackedPlane(r.canvas)
	clear(plane)

	text := "%{metadata:" + metaKey + "}"
	common := "fontfile=" + graphValue(r.style.font) + ":text=" + graphValue(text) +
		":fontsize=" + strconv.Itoa(s) + ":x=" + strconv.Itoa(r.ox) + ":fix_bounds=0"
	desc := "drawtext@text=" + common + ":fontcolor=white:y=" + strconv.Itoa(r.base) + "-ascent," +
		"drawtext@box=" + common + ":fontcolor=black@0:y=" + strconv.Itoa(r.hh+r.base) + "-ascent" +
		":box=1:boxcolor=white:boxborderw=0"
	g, err := filters.NewVideo(desc, r.canvas, astiav.NewRational(1, 1))
	if err != nil {
		r.free()
		return fmt.Errorf("font %s: drawtext: %w", r.style.font, err)
	}
	r.g = g

	// The probe fixes the vertical extent every later box includes.
	if err := r.draw([]byte(probeText)); err != nil {
		r.free()
		return fmt.Errorf("font %s: %w", r.style.font, err)
	}
	_, by0, _, by1, found := r.scan(r.hh)
	if !found {
		r.free()
		return fmt.Errorf("font %s: draws nothing for %q (is it a text font?)", r.style.font, probeText)
	}
	r.probeTop, r.probeBot = by0-r.base, by1-r.base
	r.out.Unref()
	return nil
}

// free releases the graph and the frames (Close, and before a rebuild).
func (r *textRenderer) free() {
	if r.g != nil {
		r.g.Close()
		r.g = nil
	}
	if r.canvas != nil {
		r.canvas.Free()
		r.canvas = nil
	}
	if r.out != nil {
		r.out.Free()
		r.out = nil
	}
}

// draw runs text through the graph; the canvas is left in r.out (the
// caller unrefs it).
func (r *textRenderer) draw(text []byte) error {
	if r.g == nil {
		// A rebuild that failed freed the last canvas: try again now
		// rather than draw on nothing.
		if err := r.build(r.runes, r.lines, r.above); err != nil {
			return err
		}
	}
	if err := av.SetFrameMetadata(r.canvas, metaKey, text); err != nil {
		return err
	}
	r.pts++
	r.canvas.SetPts(r.pts)
	if err := r.g.Push(r.canvas); err != nil {
		return fmt.Errorf("drawtext: %w", err)
	}
	if err := r.g.Pull(r.out); err != nil {
		return fmt.Errorf("drawtext: %w", err)
	}
	return nil
}

// scan returns the bounding box [x0, x1) × [y0, y1) of the non-transparent
// pixels in the canvas half starting at row top, in that half's rows.
func (r *textRenderer) scan(top int) (x0, y0, x1, y1 int, found bool) {
	plane, stride := av.PackedPlane(r.out)
	x0, y0 = r.cw, r.hh
	for y := 0; y < r.hh; y++ {
		row := plane[(top+y)*stride : (top+y)*stride+4*r.cw]
		first := -1
		last := -1
		for x := 3; x < len(row); x += 4 {
			if row[x] != 0 {
				if first < 0 {
					first = x / 4
				}
				last = x / 4
			}
		}
		if first < 0 {
			continue
		}
		found = true
		x0, x1 = min(x0, first), max(x1, last+1)
		y0, y1 = min(y0, y), y+1
	}
	return
}

// render draws text into r.px and sets the layout rectangle. It returns
// errCanvas, having drawn nothing, when the text does not fit the canvas.
func (r *textRenderer) render(text []byte) error {
	if err := r.draw(text); err != nil {
		return err
	}
	defer r.out.Unref()
	ix0, iy0, ix1, iy1, ink := r.scan(0)
	bx0, by0, bx1, by1, boxed := r.scan(r.hh)
	r.wide = (ink && (ix0 == 0 || ix1 == r.cw)) || (boxed && (bx0 == 0 || bx1 == r.cw))
	r.high = (ink && iy0 == 0) || (boxed && by0 == 0)
	r.tall = (ink && iy1 == r.hh) || (boxed && by1 == r.hh)
	if r.wide || r.high || r.tall {
		return errCanvas
	}
	// Layout: the text's advance box, at least the probe's height, plus
	// padding. Empty or all-space text still gets a (narrow) box.
	if !boxed {
		bx0, bx1 = r.ox, r.ox
		by0, by1 = r.base+r.probeTop, r.base+r.probeBot
	}
	by0, by1 = min(by0, r.base+r.probeTop), max(by1, r.base+r.probeBot)
	pad := r.style.padding
	lx0, ly0, lx1, ly1 := bx0-pad, by0-pad, bx1+pad, by1+pad
	// The pixels cover the layout and any ink outside it (a glyph
	// overhanging its advance box).
	px0, py0, px1, py1 := lx0, ly0, lx1, ly1
	if ink {
		px0, py0, px1, py1 = min(px0, ix0), min(py0, iy0), max(px1, ix1), max(py1, iy1)
	}
	r.lx, r.ly, r.lw, r.lh = lx0-px0, ly0-py0, lx1-lx0, ly1-ly0
	r.compose(px0, py0, px1, py1, lx0, ly0, lx1, ly1)
	return nil
}

// compose fills r.px from the coverage in the canvas' top half over
// [px0, px1) × [py0, py1) (canvas coordinates; outside the canvas the
// coverage is 0), with the box over the layout rectangle when there is
// one. Per pixel, with coverage m, text colour (Ct, at), box colour
// (Cb, ab; ab = 0 outside the box or without one) and opacity o, all
// 0..255 and "/" truncating:
//
//	g  = (m·at + 127) / 255                       text alpha
//	a  = g + (ab·(255 − g) + 127) / 255           text over box
//	PC = g·Ct + (ab·(255 − g)·Cb + 127) / 255     premultiplied, per Y, U, V
//	a' = (a·o + 127) / 255,  PC' = (PC·o + 127) / 255
//
// so a box pixel without glyph at full opacity is exactly (ab, ab·Cb), and
// an opaque box blends to exactly Cb.
func (r *textRenderer) compose(px0, py0, px1, py1, lx0, ly0, lx1, ly1 int) {
	plane, stride := av.PackedPlane(r.out)
	w, h := px1-px0, py1-py0
	r.px.resize(w, h)
	st := &r.style
	at := int(st.color[3])
	o := st.opacity
	for y := 0; y < h; y++ {
		cy := py0 + y
		inRows := st.hasBox && cy >= ly0 && cy < ly1
		for x := 0; x < w; x++ {
			cx := px0 + x
			m := 0
			if cy >= 0 && cy < r.hh && cx >= 0 && cx < r.cw {
				m = int(plane[cy*stride+4*cx+3])
			}
			ab := 0
			if inRows && cx >= lx0 && cx < lx1 {
				ab = int(st.box[3])
			}
			g := (m*at + 127) / 255
			rest := ab * (255 - g)
			a := g + (rest+127)/255
			i := y*w + x
			r.px.a[i] = uint8(fold(a, o))
			r.px.py[i] = uint16(fold(g*r.yt+(rest*r.yb+127)/255, o))
			r.px.pu[i] = uint16(fold(g*r.ut+(rest*r.ub+127)/255, o))
			r.px.pv[i] = uint16(fold(g*r.vt+(rest*r.vb+127)/255, o))
		}
	}
}

// renderGrowing renders text, rebuilding a larger canvas (twice as wide,
// high or deep, whichever edge the text reached) as long as it does
// not fit: an allocation, but only for text longer or taller than any
// before.
func (r *textRenderer) renderGrowing(text []byte) error {
	for {
		err := r.render(text)
		if !errors.Is(err, errCanvas) {
			return err
		}
		runes, lines, above := r.runes, r.lines, r.above
		if r.high {
			above *= 2
		}
		if r.wide {
			runes = max(2*runes, utf8.RuneCount(text))
		}
		if r.tall {
			lines = max(2*lines, bytes.Count(text, []byte{'\n'})+1)
		}
		if r.cw > 1<<13 || r.hh > 1<<12 {
			return fmt.Errorf("text %q: too large to draw at size %d", text, r.style.size)
		}
		if err := r.build(runes, lines, above); err != nil {
			return err
		}
	}
}

// graphValue escapes s for an option value inside a filter graph
// description: first for the filter's option parser (\ ' :), then for the
// graph parser (\ ' [ ] , ;). FFmpeg's "filtergraph escaping" notes.
func graphValue(s string) string {
	return escape(escape(s, `\':`), `\'[],;`)
}

func escape(s, special string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte(special, c) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// checkFont makes sure path is a font file FreeType can be expected to
// load. drawtext cannot be asked: when its fontfile fails to load it
// falls back to fontconfig's default font without an error, so a typo
// would put DejaVu on air instead of the brand's font.
func checkFont(path string) error {
	if err := checkFile(path); err != nil {
		if path == DefaultFont {
			return fmt.Errorf("font %w; install fonts-dejavu-core (scripts/deps.sh) or set font", err)
		}
		return fmt.Errorf("font %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("font %s: %w", path, err)
	}
	if !isFont(data) {
		return fmt.Errorf("font %s: not a font file (TrueType/OpenType .ttf, .otf, .ttc, WOFF or Type 1 expected)", path)
	}
	return nil
}

// isFont recognises the containers FreeType reads. For TrueType/OpenType
// (the usual case) the table directory is checked too: it must fit the
// file and list the tables every font has, so a truncated or renamed
// file is caught here.
func isFont(d []byte) bool {
	switch {
	case len(d) < 12:
		return false
	case bytes.HasPrefix(d, []byte("ttcf")):
		if binary.BigEndian.Uint32(d[8:]) == 0 || len(d) < 16 {
			return false
		}
		off := int(binary.BigEndian.Uint32(d[12:]))
		return off < len(d) && isSFNT(d, off)
	case bytes.HasPrefix(d, []byte{0, 1, 0, 0}), bytes.HasPrefix(d, []byte("OTTO")),
		bytes.HasPrefix(d, []byte("true")), bytes.HasPrefix(d, []byte("typ1")):
		return isSFNT(d, 0)
	case bytes.HasPrefix(d, []byte("wOFF")), bytes.HasPrefix(d, []byte("wOF2")),
		bytes.HasPrefix(d, []byte("%!PS-AdobeFont")), bytes.HasPrefix(d, []byte("%!FontType1")),
		bytes.HasPrefix(d, []byte{0x80, 0x01}):
		return true
	}
	return false
}

// isSFNT checks the table directory of the font at off.
func isSFNT(d []byte, off int) bool {
	if off+12 > len(d) {
		return false
	}
	n := int(binary.BigEndian.Uint16(d[off+4:]))
	if n == 0 || off+12+16*n > len(d) {
		return false
	}
	have := map[string]bool{}
	for i := 0; i < n; i++ {
		e := d[off+12+16*i:]
		start, size := int64(binary.BigEndian.Uint32(e[8:])), int64(binary.BigEndian.Uint32(e[12:]))
		if start+size > int64(len(d)) {
			return false
		}
		have[string(e[:4])] = true
	}
	return have["cmap"] && (have["glyf"] || have["CFF "] || have["CFF2"])
}
