// Package watermark owns the program's overlays: logos (any picture FFmpeg
// decodes, alpha respected), fixed lines of text and a wall clock, drawn
// in order onto each yuv420p frame in place.
//
// FFmpeg does the hard parts once: decoding and scaling a logo when the
// stage is built, rendering text with drawtext (FreeType) only when it
// changes — once at start for text, once a second for a clock showing
// seconds. Each frame then costs only a blend of those small,
// pre-converted bitmaps into the frame's Y, U and V planes, in Go with
// integer arithmetic (see bitmap), so no full-frame filter graph, no copy
// of the frame, and no allocation runs per frame. The blend is exactly
// specified, which is what lets the tests assert exact pixel values.
//
// Colours are converted with the BT.601 limited-range matrix (see
// rgbToYUV); alpha is straight in configuration and pictures,
// premultiplied inside.
package watermark

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
	"studio/internal/strftime"
)

var _ filters.Video = (*Watermark)(nil)

// DefaultFont is the font text and clock layers use when Layer.Font is
// empty (Debian's fonts-dejavu-core, installed by scripts/deps.sh).
const DefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

// DefaultSize is the text height in pixels (the font's em size) when
// Layer.Size is 0.
const DefaultSize = 24

// Position anchors a layer in the frame. The zero value is TopLeft.
type Position string

// The anchors. Corners keep Layer.Margin pixels from both edges; Center
// centres the layer and ignores the margin.
const (
	TopLeft     Position = "top-left"
	TopRight    Position = "top-right"
	BottomLeft  Position = "bottom-left"
	BottomRight Position = "bottom-right"
	Center      Position = "center"
)

// Layer is one overlay. Exactly one of Image, Text and Clock is set; it
// says the kind. Fields that do not apply to the kind must stay zero.
//
// Placement (all kinds): the layer's rectangle is anchored at Position,
// Margin pixels in from the edges it touches, then moved by X, Y pixels
// (right and down; negative moves left and up). So explicit placement is
// Position "" (top-left) with X, Y: the layer's top-left corner lands at
// (X+Margin, Y+Margin). A layer reaching outside the frame is clipped.
// For text and clock layers the rectangle is the box (text plus padding),
// drawn or not.
type Layer struct {
	// Image is the path of a picture (PNG with alpha, JPEG, WebP, … any
	// format FFmpeg decodes; the first frame of an animation). It is read
	// and scaled once, by New.
	Image string
	// Text is a fixed line of text (UTF-8; "\n" starts a new line).
	Text string
	// Clock is a strftime format (C locale, e.g. "%Y-%m-%d %H:%M:%S") of
	// the wall time Config.Epoch + the frame's program time, in Zone.
	// Known conversions: %a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j
	// %k %l %m %M %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y
	// %z %Z %%. The text is redrawn exactly when its formatted string
	// changes (once a second with %S, once a minute with %H:%M).
	Clock string
	// Zone is the clock's time zone: "" for the machine's local zone,
	// "UTC", or an IANA name such as "Europe/Paris".
	Zone string

	// Font is the font file of a text or clock layer (TrueType, OpenType,
	// …); "" is DefaultFont.
	Font string
	// Size is the font size in pixels (the em square); 0 is DefaultSize.
	Size int
	// Color is the text colour: "#rrggbb", "#rrggbbaa", a name ("white",
	// "gold"), or any colour FFmpeg's filters accept ("white@0.8"). ""
	// is white.
	Color string
	// Box, if set, is the colour (alpha included, e.g. "#00000080") of a
	// rectangle drawn behind the text. Its height covers the font's usual
	// ascent and descent whatever the letters, so it does not jump as a
	// clock ticks.
	Box string
	// Padding is the space in pixels between the text's advance box and
	// the edge of Box (and of the rectangle that Position places). About
	// a quarter of Size looks right.
	Padding int

	// Position anchors the layer; "" is TopLeft.
	Position Position
	// X and Y move the layer from its anchored place, in pixels.
	X, Y int
	// Margin is the distance in pixels from the frame edges the anchor
	// touches (not used by Center).
	Margin int

	// Scale sizes an image: the picture's width becomes Scale × the frame
	// width (0.15 is 15 % of the frame), its height follows the aspect
	// ratio. 0 keeps the picture's own size in pixels. Being relative to
	// the frame, it keeps a logo's look across program resolutions.
	Scale float64
	// Opacity multiplies the layer's alpha: 0 < Opacity ≤ 1. 0 (unset)
	// means 1, fully as drawn; to hide a layer, leave it out. It is
	// applied as o = round(Opacity·255), a' = (a·o + 127) / 255 on each
	// pixel's alpha (and, for text, on its premultiplied colour).
	Opacity float64
}

// Config is the stage's configuration.
type Config struct {
	// Layers are drawn in order: later ones on top.
	Layers []Layer
	// Epoch is the wall time of program time 0, given by the engine;
	// clocks show Epoch + the frame's program time and never read the
	// real time of day while running. The zero value means the time New
	// runs.
	Epoch time.Time
}

// Watermark is the stage: a filters.Video. It is not safe for concurrent
// use; Apply runs on the program goroutine.
type Watermark struct {
	width, height int
	layers        []layer
}

// layer is a Layer made ready: its bitmap, and for a clock what redraws it.
type layer struct {
	bm bitmap

	// Clock only.
	clock     *textRenderer
	format    string
	zone      *time.Location
	epoch     time.Time
	sec       int64 // Unix second last formatted
	cur, next []byte
	place     func(w, h int) (int, int)
}

// New builds the stage for frames of width × height. It reads and scales
// images and renders text now, so that every error surfaces here, naming
// the layer, the file and the fix.
func New(width, height int, cfg Config) (*Watermark, error) {
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("watermark: frame size %dx%d", width, height)
	}
	w := &Watermark{width: width, height: height, layers: make([]layer, len(cfg.Layers))}
	epoch := cfg.Epoch
	if epoch.IsZero() {
		epoch = time.Now()
	}
	for i := range cfg.Layers {
		if err := w.setup(&w.layers[i], &cfg.Layers[i], epoch); err != nil {
			w.Close()
			return nil, fmt.Errorf("layers[%d]: %w", i, err)
		}
	}
	return w, nil
}

func (w *Watermark) setup(l *layer, c *Layer, epoch time.Time) error {
	kinds := 0
	for _, s := range []string{c.Image, c.Text, c.Clock} {
		if s != "" {
			kinds++
		}
	}
	if kinds != 1 {
		return errors.New("set exactly one of image, text and clock")
	}
	o, err := opacity(c.Opacity)
	if err != nil {
		return err
	}
	place, err := placer(c, w.width, w.height)
	if err != nil {
		return err
	}
	if c.Image != "" {
		if c.Font != "" || c.Size != 0 || c.Color != "" || c.Box != "" || c.Padding != 0 || c.Zone != "" {
			return fmt.Errorf("image %s: font, size, color, box, padding and zone are for text and clock layers", c.Image)
		}
		if c.Scale < 0 || math.IsNaN(c.Scale) || math.IsInf(c.Scale, 0) {
			return fmt.Errorf("image %s: scale %v: must be ≥ 0 (a fraction of the frame width; 0 keeps the picture's size)", c.Image, c.Scale)
		}
		var p pixels
		if err := loadImage(c.Image, w.width, c.Scale, o, &p); err != nil {
			return err
		}
		x, y := place(p.w, p.h)
		l.bm.place(&p, x, y)
		return nil
	}

	if c.Scale != 0 {
		return errors.New("scale is for images; text is sized by size")
	}
	st, err := style(c, o)
	if err != nil {
		return err
	}
	text := []byte(c.Text)
	if c.Clock != "" {
		if err := strftime.Check(c.Clock); err != nil {
			return err
		}
		l.zone = time.Local
		if c.Zone != "" {
			if l.zone, err = time.LoadLocation(c.Zone); err != nil {
				return fmt.Errorf("clock zone %q: %w (use \"\" for local time, \"UTC\" or a name like Europe/Paris)", c.Zone, err)
			}
		}
		l.format, l.epoch, l.place = c.Clock, epoch, place
		// Room for the text now, which later texts rarely outgrow (64
		// bytes is a full date and time; longer formats grow it once).
		l.cur = make([]byte, 0, 64)
		l.next = make([]byte, 0, 64)
		wall := epoch.In(l.zone)
		l.sec = wall.Unix()
		l.cur = strftime.Append(l.cur, l.format, wall)
		text = l.cur
	} else if c.Zone != "" {
		return errors.New("zone is for clock layers")
	}
	r, err := newTextRenderer(st, utf8.RuneCount(text)+2, bytes.Count(text, []byte{'\n'})+1)
	if err != nil {
		return err
	}
	if err := r.renderGrowing(text); err != nil {
		r.free()
		return err
	}
	l.draw(r, place)
	if c.Clock == "" {
		r.free() // fixed text: drawn for good
		return nil
	}
	l.clock = r
	return nil
}

// draw places the renderer's last result.
func (l *layer) draw(r *textRenderer, place func(w, h int) (int, int)) {
	x, y := place(r.lw, r.lh)
	l.bm.place(&r.px, x-r.lx, y-r.ly)
}

// tick redraws a clock whose text changed at program time t.
func (l *layer) tick(t time.Duration) error {
	wall := l.epoch.Add(t)
	// Every conversion has a granularity of whole seconds, so the text
	// can only change when the Unix second does.
	sec := wall.Unix()
	if sec == l.sec {
		return nil
	}
	l.sec = sec
	l.next = strftime.Append(l.next[:0], l.format, wall.In(l.zone))
	if bytes.Equal(l.next, l.cur) {
		return nil
	}
	l.cur, l.next = l.next, l.cur
	if err := l.clock.renderGrowing(l.cur); err != nil {
		l.sec, l.cur = 0, l.cur[:0] // try again on the next frame
		return fmt.Errorf("watermark clock: %w", err)
	}
	l.draw(l.clock, l.place)
	return nil
}

// Apply draws the layers onto f (yuv420p at the stage's size, writable)
// for program time t.
func (w *Watermark) Apply(f *astiav.Frame, t time.Duration) error {
	if f.Width() != w.width || f.Height() != w.height || f.PixelFormat() != astiav.PixelFormatYuv420P {
		return fmt.Errorf("watermark: frame is %dx%d %s, want %dx%d yuv420p",
			f.Width(), f.Height(), f.PixelFormat(), w.width, w.height)
	}
	yp, ys := av.Plane(f, 0)
	up, cs := av.Plane(f, 1)
	vp, vs := av.Plane(f, 2)
	if yp == nil || up == nil || vp == nil || cs != vs {
		return errors.New("watermark: frame has no yuv420p planes")
	}
	for i := range w.layers {
		l := &w.layers[i]
		if l.clock != nil {
			if err := l.tick(t); err != nil {
				return err
			}
		}
		l.bm.blend(yp, ys, up, vp, cs, w.width, w.height)
	}
	return nil
}

// Close frees the clocks' filter graphs and frames. The stage must not be
// used afterwards; Close may be called more than once.
func (w *Watermark) Close() {
	for i := range w.layers {
		if r := w.layers[i].clock; r != nil {
			r.free()
			w.layers[i].clock = nil
		}
	}
}

// opacity turns Layer.Opacity into 1..255.
func opacity(v float64) (int, error) {
	if v == 0 {
		return 255, nil
	}
	if !(v > 0 && v <= 1) {
		return 0, fmt.Errorf("opacity %v: must be in (0, 1] (0 or unset is 1)", v)
	}
	return max(1, int(math.Round(v*255))), nil
}

// placer returns where a layer of w × h goes.
func placer(c *Layer, fw, fh int) (func(w, h int) (int, int), error) {
	if c.Margin < 0 {
		return nil, fmt.Errorf("margin %d: must be ≥ 0 (X and Y move a layer beyond the edge)", c.Margin)
	}
	m, dx, dy := c.Margin, c.X, c.Y
	pos := c.Position
	switch pos {
	case "", TopLeft:
		return func(w, h int) (int, int) { return m + dx, m + dy }, nil
	case TopRight:
		return func(w, h int) (int, int) { return fw - w - m + dx, m + dy }, nil
	case BottomLeft:
		return func(w, h int) (int, int) { return m + dx, fh - h - m + dy }, nil
	case BottomRight:
		return func(w, h int) (int, int) { return fw - w - m + dx, fh - h - m + dy }, nil
	case Center:
		return func(w, h int) (int, int) { return (fw-w)/2 + dx, (fh-h)/2 + dy }, nil
	}
	return nil, fmt.Errorf("position %q: use top-left, top-right, bottom-left, bottom-right or center", c.Position)
}

// style reads a text or clock layer's look.
func style(c *Layer, o int) (textStyle, error) {
	st := textStyle{font: c.Font, size: c.Size, padding: c.Padding, opacity: o}
	if st.font == "" {
		st.font = DefaultFont
	}
	if st.size == 0 {
		st.size = DefaultSize
	}
	if st.size < 4 || st.size > 1000 {
		return st, fmt.Errorf("size %d: must be 4..1000 pixels", c.Size)
	}
	if st.padding < 0 {
		return st, fmt.Errorf("padding %d: must be ≥ 0", c.Padding)
	}
	color := c.Color
	if color == "" {
		color = "white"
	}
	var err error
	if st.color, err = av.ParseColor(color); err != nil {
		return st, err
	}
	if c.Box != "" {
		st.hasBox = true
		if st.box, err = av.ParseColor(c.Box); err != nil {
			return st, fmt.Errorf("box %w", err)
		}
	}
	return st, nil
}
