// Package composite owns the scene compositor: N pictures → one program
// picture, drawn as layers onto a background (a colour or a picture), the
// layout templates that place sources on the canvas (see Layout), and the
// fade between two program pictures (Blend).
//
// All pictures are yuv420p (limited range, BT.601). Scaling is swscale's
// bilinear with accurate rounding (a flat colour stays exact), one scale
// context and one target buffer per layer, made when a layer's source
// region or target size changes and reused after that; a crop is read in
// place (av.ScaleRegion), and a region that already has the target size
// is copied, not scaled. Copies,
// fills and opacity blends run in Go on the planes in place, with exact
// integer arithmetic, so that tests can assert every sample. Once warmed
// up, Compose and Blend allocate nothing.
//
// # Placement on the canvas
//
// A layer's Rect is in program (luma) pixels and may have any position
// and size, odd ones included; what falls outside the canvas is clipped.
// Luma is exact to the pixel. Chroma is subsampled 2×2, so a chroma
// sample belongs to a rectangle when the top-left luma sample of its 2×2
// block does: a rect [x0, x1) × [y0, y1) owns the chroma columns
// [⌈x0/2⌉, ⌈x1/2⌉) and rows [⌈y0/2⌉, ⌈y1/2⌉). Rects that share an edge
// thus share out the chroma between them with no overlap and no gap; at an
// odd edge the chroma is off by at most one luma pixel. A layer's chroma
// sample is read from its picture where that top-left luma sample lands.
//
// # Opacity
//
// A layer of opacity 1 is copied. Below 1 it is blended with the weight
// a = round(256·Opacity):
//
//	out = (src·a + below·(256−a) + 128) >> 8
//
// per sample (so 0.5 gives (src + below + 1) >> 1). An opacity of 0, or
// one whose weight rounds to 0, draws nothing.
package composite

import (
	"errors"
	"fmt"
	"math"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
)

// Rect is a rectangle in program pixels: top-left corner (X, Y), size
// W × H. It may reach outside the canvas (clipped) and have odd values.
type Rect struct{ X, Y, W, H int }

// Crop is what is cut from the source picture's edges, in the picture's
// pixels, before the picture is fitted into its rect.
type Crop struct{ Left, Top, Right, Bottom int }

// Fit says how a (cropped) picture fills its rect.
type Fit int

// The fits. The zero value is FitCover.
const (
	// FitCover fills the rect and keeps the picture's aspect ratio: the
	// side that is too long is cut to the rect's aspect (its kept length
	// rounded to nearest), centred: the first kept pixel is excess/2 in
	// from the (cropped) edge, one less when that pixel would be odd, so
	// that the kept part's chroma lines up with its luma.
	FitCover Fit = iota
	// FitContain shows the whole picture with its aspect ratio, as large
	// as fits, centred in the rect; the bars beside it (left and right or
	// top and bottom) show the canvas background (colour or image), at the
	// layer's opacity, so the rect is always filled.
	FitContain
	// FitStretch scales the picture to the rect, aspect ratio ignored.
	FitStretch
)

// String names the fit.
func (f Fit) String() string {
	switch f {
	case FitCover:
		return "cover"
	case FitContain:
		return "contain"
	case FitStretch:
		return "stretch"
	}
	return fmt.Sprintf("Fit(%d)", int(f))
}

// Layer is one picture's place on the canvas.
type Layer struct {
	// Rect is where the picture goes. A rect with no area draws nothing;
	// one more than 4 times the canvas in width or height is an error.
	Rect Rect
	// Crop is cut from the picture before fitting.
	Crop Crop
	// Fit is how the picture fills Rect; the zero value is FitCover.
	Fit Fit
	// Opacity is 0..1: 1 copies the picture, less blends it over what is
	// below (see the package doc), 0 hides the layer. Unlike a watermark
	// layer's, 0 is not "unset": a fade may reach it.
	Opacity float64
}

// LayersFor turns the rects of a layout into opaque FitCover layers, the
// usual scene: LayersFor(Layout("host+3", w, h, 4)).
func LayersFor(rects []Rect) []Layer {
	layers := make([]Layer, len(rects))
	for i, r := range rects {
		layers[i] = Layer{Rect: r, Opacity: 1}
	}
	return layers
}

// Options configure a Compositor.
type Options struct {
	// Width and Height are the program size: positive and even.
	Width, Height int
	// Background is the Y, U, V of the canvas colour (see ParseColor).
	// The zero value means black (16, 128, 128): YUV 0, 0, 0 lies outside
	// the limited range and is never a colour one wants.
	Background [3]uint8
	// BackgroundImage, if set, is a picture file (PNG, JPEG, … anything
	// FFmpeg decodes) scaled once, by New, to cover the canvas (FitCover)
	// and shown instead of the colour. Transparent parts of it show
	// Background.
	BackgroundImage string
}

// maxRectFactor bounds a rect's size relative to the canvas: scaling
// buffers are as big as the rect.
const maxRectFactor = 4

// Compositor draws scenes onto program pictures. It is not safe for
// concurrent use: Compose runs on the program goroutine.
type Compositor struct {
	w, h   int
	bg     [3]uint8
	bgRows [3][]byte     // one row of the background colour per plane
	bgPic  *astiav.Frame // the scaled background image, or nil
	layers []*layerState // per layer index, grown as needed
	flags  astiav.SoftwareScaleContextFlags
}

// layerState is what a layer keeps between frames (its scaler and target
// buffer) and what Compose works out for it on each frame.
type layerState struct {
	ssc            *astiav.SoftwareScaleContext
	buf            *astiav.Frame // tw × th yuv420p, the scaler's output
	ssw, ssh       int           // the source size ssc was made for
	stw, sth       int           // the target size ssc and buf were made for
	visible        bool          // this frame: something of it is on the canvas
	alpha          int           // this frame: blend weight, 1..256
	pic            *astiav.Frame // this frame: the picture
	sx, sy, sw, sh int           // this frame: the region of pic to draw
	tx, ty, tw, th int           // this frame: where it goes (inside rect)
	rect           Rect          // this frame: the layer's rect
}

// New makes a compositor for a Width × Height program. A background image
// is decoded and scaled here, so its errors surface now.
func New(o Options) (*Compositor, error) {
	if o.Width <= 0 || o.Height <= 0 || o.Width%2 != 0 || o.Height%2 != 0 {
		return nil, fmt.Errorf("composite: program size %dx%d: must be positive and even", o.Width, o.Height)
	}
	c := &Compositor{
		w: o.Width, h: o.Height, bg: o.Background,
		flags: astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBilinear, av.ScaleAccurateRnd),
	}
	if c.bg == [3]uint8{} {
		c.bg = [3]uint8{16, 128, 128}
	}
	for i := range c.bgRows {
		n := c.w
		if i > 0 {
			n = (c.w + 1) / 2
		}
		c.bgRows[i] = make([]byte, n)
		for j := range c.bgRows[i] {
			c.bgRows[i][j] = c.bg[i]
		}
	}
	if o.BackgroundImage != "" {
		pic, err := c.loadBackground(o.BackgroundImage)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("composite: background image %w", err)
		}
		c.bgPic = pic
	}
	return c, nil
}

// Close frees the scalers, buffers and background picture.
func (c *Compositor) Close() {
	for _, l := range c.layers {
		l.free()
	}
	c.layers = nil
	if c.bgPic != nil {
		c.bgPic.Free()
		c.bgPic = nil
	}
}

func (l *layerState) free() {
	if l.ssc != nil {
		l.ssc.Free()
		l.ssc = nil
	}
	if l.buf != nil {
		l.buf.Free()
		l.buf = nil
	}
	l.ssw, l.ssh, l.stw, l.sth = 0, 0, 0, 0
}

// Compose fills dst (a writable yuv420p Width × Height frame the caller
// owns) with the background, then draws layers in order, the first at the
// bottom. pics[i] is layer i's picture (yuv420p, any size); nil means the
// layer is cleared and not drawn. Layers outside the canvas are clipped;
// rects with no area draw nothing. Every layer is checked before dst is
// touched. When an opaque layer covers the whole canvas, the background
// and the layers below it are not drawn at all.
func (c *Compositor) Compose(dst *astiav.Frame, layers []Layer, pics []*astiav.Frame) error {
	if dst.PixelFormat() != astiav.PixelFormatYuv420P || dst.Width() != c.w || dst.Height() != c.h {
		return fmt.Errorf("composite: destination is %s %dx%d, not yuv420p %dx%d",
			dst.PixelFormat(), dst.Width(), dst.Height(), c.w, c.h)
	}
	if !av.IsWritable(dst) {
		return errors.New("composite: destination is not writable (its buffers are shared)")
	}
	if len(pics) != len(layers) {
		return fmt.Errorf("composite: %d layers but %d pictures", len(layers), len(pics))
	}
	for len(c.layers) < len(layers) {
		c.layers = append(c.layers, &layerState{})
	}
	defer c.forget(len(layers))
	start, covered := 0, false
	for i := range layers {
		l := c.layers[i]
		if err := c.plan(l, &layers[i], pics[i]); err != nil {
			return fmt.Errorf("composite: layers[%d]: %w", i, err)
		}
		r := l.rect
		if l.visible && l.alpha == 256 && r.X <= 0 && r.Y <= 0 && r.X+r.W >= c.w && r.Y+r.H >= c.h {
			start, covered = i, true
		}
	}
	if !covered {
		c.fillBackground(dst, 0, 0, c.w, c.h, 256)
	}
	for i := start; i < len(layers); i++ {
		if l := c.layers[i]; l.visible {
			if err := c.draw(dst, l); err != nil {
				return fmt.Errorf("composite: layers[%d]: %w", i, err)
			}
		}
	}
	return nil
}

// forget drops the first n layers' pictures, which are the caller's.
func (c *Compositor) forget(n int) {
	for _, l := range c.layers[:n] {
		l.pic = nil
	}
}

// plan checks a layer and works out what of its picture goes where.
func (c *Compositor) plan(l *layerState, ly *Layer, pic *astiav.Frame) error {
	l.visible, l.pic, l.rect = false, nil, ly.Rect
	r := ly.Rect
	if math.IsNaN(ly.Opacity) || ly.Opacity < 0 || ly.Opacity > 1 {
		return fmt.Errorf("opacity %v: must be 0..1", ly.Opacity)
	}
	if ly.Fit < FitCover || ly.Fit > FitStretch {
		return fmt.Errorf("fit %d: unknown (cover, contain or stretch)", int(ly.Fit))
	}
	if r.W > maxRectFactor*c.w || r.H > maxRectFactor*c.h {
		return fmt.Errorf("rect %dx%d: larger than %d× the %dx%d canvas", r.W, r.H, maxRectFactor, c.w, c.h)
	}
	k := ly.Crop
	if k.Left < 0 || k.Top < 0 || k.Right < 0 || k.Bottom < 0 {
		return fmt.Errorf("crop %+v: must not be negative", k)
	}
	l.alpha = int(math.Round(ly.Opacity * 256))
	if pic == nil || r.W <= 0 || r.H <= 0 || l.alpha == 0 ||
		r.X >= c.w || r.Y >= c.h || r.X+r.W <= 0 || r.Y+r.H <= 0 {
		return nil
	}
	if pic.PixelFormat() != astiav.PixelFormatYuv420P {
		return fmt.Errorf("picture is %s, not yuv420p", pic.PixelFormat())
	}
	pw, ph := pic.Width(), pic.Height()
	sw, sh := pw-k.Left-k.Right, ph-k.Top-k.Bottom
	if sw <= 0 || sh <= 0 {
		return fmt.Errorf("crop %+v leaves nothing of a %dx%d picture", k, pw, ph)
	}
	l.pic, l.visible = pic, true
	l.sx, l.sy, l.sw, l.sh = k.Left, k.Top, sw, sh
	l.tx, l.ty, l.tw, l.th = r.X, r.Y, r.W, r.H
	wider := sw*r.H > sh*r.W // the picture is wider than the rect
	switch ly.Fit {
	case FitCover:
		if wider {
			l.sw = max(1, divRound(sh*r.W, r.H))
			l.sx = evenCut(l.sx, sw-l.sw)
		} else {
			l.sh = max(1, divRound(sw*r.H, r.W))
			l.sy = evenCut(l.sy, sh-l.sh)
		}
	case FitContain:
		if wider {
			l.th = max(1, divRound(r.W*sh, sw))
			l.ty += (r.H - l.th) / 2
		} else {
			l.tw = max(1, divRound(r.H*sw, sh))
			l.tx += (r.W - l.tw) / 2
		}
	}
	return nil
}

// evenCut is where a region starting at start keeps what is left after
// cutting excess samples centred: half the excess in, one less when that
// makes the start odd, so that the region's chroma lines up with its luma.
func evenCut(start, excess int) int {
	off := excess / 2
	if (start+off)%2 != 0 && off > 0 {
		off--
	}
	return start + off
}

// divRound is a/b rounded to nearest (a ≥ 0, b > 0).
func divRound(a, b int) int { return (2*a + b) / (2 * b) }

// draw puts a planned layer on dst: the bars of a contained picture, then
// the picture, scaled first when its region is not the target's size.
func (c *Compositor) draw(dst *astiav.Frame, l *layerState) error {
	r := l.rect
	if l.ty > r.Y { // bars above and below
		c.fillBackground(dst, r.X, r.Y, r.W, l.ty-r.Y, l.alpha)
		c.fillBackground(dst, r.X, l.ty+l.th, r.W, r.Y+r.H-l.ty-l.th, l.alpha)
	}
	if l.tx > r.X { // bars left and right
		c.fillBackground(dst, r.X, r.Y, l.tx-r.X, r.H, l.alpha)
		c.fillBackground(dst, l.tx+l.tw, r.Y, r.X+r.W-l.tx-l.tw, r.H, l.alpha)
	}
	src, sx, sy := l.pic, l.sx, l.sy
	if l.sw != l.tw || l.sh != l.th {
		if err := l.ensureScaler(l.sw, l.sh, l.tw, l.th, c.flags); err != nil {
			return err
		}
		if err := av.ScaleRegion(l.ssc, l.pic, l.sx, l.sy, l.buf); err != nil {
			return fmt.Errorf("scale %dx%d to %dx%d: %w", l.sw, l.sh, l.tw, l.th, err)
		}
		src, sx, sy = l.buf, 0, 0
	}
	drawPicture(dst, c.w, c.h, src, sx, sy, l.tx, l.ty, l.tw, l.th, l.alpha)
	return nil
}

// ensureScaler makes l's scale context and buffer for sw × sh → tw × th,
// unless it has them already.
func (l *layerState) ensureScaler(sw, sh, tw, th int, flags astiav.SoftwareScaleContextFlags) error {
	if l.ssc != nil && l.ssw == sw && l.ssh == sh && l.stw == tw && l.sth == th {
		return nil
	}
	l.free()
	ssc, err := astiav.CreateSoftwareScaleContext(sw, sh, astiav.PixelFormatYuv420P, tw, th, astiav.PixelFormatYuv420P, flags)
	if err != nil {
		return fmt.Errorf("scaler %dx%d to %dx%d: %w", sw, sh, tw, th, err)
	}
	buf, err := yuvFrame(tw, th, astiav.PixelFormatYuv420P)
	if err != nil {
		ssc.Free()
		return fmt.Errorf("scale buffer: %w", err)
	}
	l.ssc, l.buf = ssc, buf
	l.ssw, l.ssh, l.stw, l.sth = sw, sh, tw, th
	return nil
}

// fillBackground draws the canvas background (image or colour) into the
// rect (x, y, w, h) of dst at blend weight alpha (256: copy).
func (c *Compositor) fillBackground(dst *astiav.Frame, x, y, w, h, alpha int) {
	if w <= 0 || h <= 0 {
		return
	}
	if c.bgPic != nil {
		drawPicture(dst, c.w, c.h, c.bgPic, x, y, x, y, w, h, alpha)
		return
	}
	fillRect(dst, c.w, c.h, &c.bgRows, x, y, w, h, alpha)
}

// yuvFrame allocates a w × h frame of a planar YUV format.
func yuvFrame(w, h int, format astiav.PixelFormat) (*astiav.Frame, error) {
	f := astiav.AllocFrame()
	f.SetWidth(w)
	f.SetHeight(h)
	f.SetPixelFormat(format)
	if err := f.AllocBuffer(0); err != nil {
		f.Free()
		return nil, fmt.Errorf("frame %dx%d %s: %w", w, h, format, err)
	}
	return f, nil
}
