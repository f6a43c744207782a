// Package beauty owns the skin-smoothing ("美颜") video stage: it finds
// skin by its colour, smooths it with an edge-preserving filter so that
// blemishes, fine lines and sensor noise fade while eyes, brows, lips,
// hair and outlines stay sharp, and can lift skin a little (Brighten).
// Whatever is not skin-coloured is left as it was, byte for byte.
//
// How a frame is processed (yuv420p in place; fixed-point arithmetic but
// for one floating-point division per half-resolution sample):
//
//  1. At chroma resolution (half width and height) each 2×2 block of luma is
//     averaged into a small guide image I, and a skin weight is read from
//     two tables: one over (Cb, Cr) — an ellipse around the skin-tone
//     cluster with a soft rim — and one over the block's luma, which drops
//     very dark and very bright blocks (black hair, pupils, eye whites,
//     glare). Both come in video-range and full-range versions.
//  2. A self-guided filter (He, Sun and Tang, "Guided Image Filtering")
//     runs on I: box sums of I and I² give each window's variance, and
//     a = var/(var+ε), b = (1−a)·mean; then each sample's a and b are the
//     mean over the windows covering it, each weighted by δ/(var+δ) so
//     that beside an edge the flat windows outweigh those straddling it
//     (the plain mean leaves a noisy rim along every edge). Flat, noisy
//     areas get a ≈ 0 (replaced by their local mean), edges a ≈ 1 (kept).
//     The box is (2r+1)² samples, r ≈ height/180 (4 at 720p, 6 at 1080p:
//     18 and 26 luma pixels across); ε = 350·strength, δ = ε/2, so a low
//     strength takes out noise only and a high one fine wrinkles too.
//  3. The filter's result is blended in by 0.9 × strength × skin weight
//     (the weight blurred 3×3 so the mask has no hard rim), and the
//     brightening curve is folded into the same linear map, so that each
//     half-resolution sample ends up as a map y → α·y + β.
//  4. α and β are upsampled bilinearly and applied to every full-resolution
//     luma pixel, which is where the detail that the guide kept comes back:
//     the fast guided filter's trick (He and Sun, 2015). Chroma on skin is
//     blurred 3×3 by the same weight, which takes out blotchy colour noise.
//
// Only the rows and columns the skin weight reaches are filtered, so a
// face costs what its size costs and a picture without skin next to
// nothing. Steps 2–4 stream down the picture in row bands, one per core
// (a helper goroutine each, living until Close), with a few rows of
// scratch per band so the working set stays in cache; the bands overlap by
// the filter's reach and compute identical values there, so the result
// does not depend on how many bands there are.
package beauty

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
)

// Config is a Beauty's initial settings; both may be changed live.
type Config struct {
	// Strength is how much skin is smoothed, 0..1; 0 leaves the picture
	// unchanged (when Brighten is 0 too).
	Strength float64
	// Brighten lifts and slightly whitens skin, 0..1; 0 is off.
	Brighten float64
}

// maxParts bounds the row bands a frame is split into. The stage shares
// the machine with the encoder, so more bands than this would only steal
// from it; two already fill the 2-core machines studio targets.
const maxParts = 4

// Beauty is the skin-smoothing stage for one picture size. Apply and
// Process run on one goroutine at a time; SetStrength and SetBrighten may be
// called from any goroutine and take effect on the next frame.
type Beauty struct {
	width, height int
	cw, ch        int // chroma (and guide) size: half, rounded up

	strength atomic.Uint64 // float64 bits, clamped 0..1
	brighten atomic.Uint64

	// Frame-sized buffers at chroma resolution, written in the first phase
	// and only read in the second (so bands may read each other's rows).
	// guide and skin rows are gs wide: pad samples either side repeat the
	// edge ones, so the filter's horizontal sums need no clamping.
	pad, gs        int
	guide          []uint8 // 2×2 mean of luma
	skin           []uint8 // raw skin weight, 0..255
	skinLo, skinHi []int32 // per row, the columns [lo, hi) holding any skin
	full           bool    // tests: filter every sample, not only around skin

	radius   int      // box radius of the guided filter, at chroma resolution
	recipN   int64    // 2^32 / n, n = (2r+1)² samples in a box: scales (1−a)·ΣI into b, Q4
	varShift uint     // n²·var >> varShift indexes alut
	aUnit    float64  // the variance one alut entry spans
	alut     []uint32 // a and the window weight by variance, for ε of alutFor
	alutFor  float64  // the strength alut was built for

	tone    toneCurve
	toneFor float64 // the Brighten value tone was built for
	parts   []*part
	frame   frame // the planes of the frame being processed

	kick   []chan phase // one per helper goroutine
	done   chan struct{}
	closed bool
}

// frame is the planes a call works on, shared with the helpers through
// the kick channel's happens-before.
type frame struct {
	y, u, v    []byte
	ys, us, vs int
	s256, b256 int  // strength and brighten weights, 0..256 (0: that part is off)
	fullRange  bool // samples are full range ("JPEG"), not video range
}

type phase uint8

const (
	phaseGuide  phase = iota // step 1: guide and skin weight
	phaseFilter              // steps 2–4
)

// New makes a stage for width×height frames, allocating every buffer it
// will use: Apply allocates nothing.
func New(width, height int, cfg Config) (*Beauty, error) {
	return newBeauty(width, height, cfg, runtime.GOMAXPROCS(0))
}

// newBeauty is New with at most maxBands bands (tests vary it).
func newBeauty(width, height int, cfg Config, maxBands int) (*Beauty, error) {
	if width < 2 || height < 2 {
		return nil, fmt.Errorf("beauty: size %dx%d: must be at least 2x2", width, height)
	}
	b := &Beauty{width: width, height: height, cw: (width + 1) / 2, ch: (height + 1) / 2}
	b.SetStrength(cfg.Strength)
	b.SetBrighten(cfg.Brighten)
	// The filter's reach follows the picture's height, so a face filmed
	// at 720p and at 1080p is smoothed alike: r = 4 at 720p (a 9×9 box
	// of 2×2 blocks, 18 pixels), 6 at 1080p.
	b.radius = min(max((b.ch+45)/90, 2), 12)
	side := int64(2*b.radius + 1)
	n := side * side
	b.recipN = (1<<32 + n/2) / n
	// One table entry spans between 1 and 2 units of variance: fine
	// enough around any ε, and 16K entries cover every 8-bit variance.
	b.varShift = uint(bits.Len64(uint64(n * n))) // 2^shift > n², so an entry < 2 units
	b.aUnit = float64(uint64(1)<<b.varShift) / float64(n*n)
	b.pad = 2*b.radius + 2
	b.gs = b.cw + 2*b.pad
	b.guide = make([]uint8, b.ch*b.gs)
	b.skin = make([]uint8, b.ch*b.gs)
	b.skinLo = make([]int32, b.ch)
	b.skinHi = make([]int32, b.ch)
	b.alut = make([]uint32, aTableSize)

	parts := max(min(maxBands, maxParts, b.ch/(4*b.radius)), 1)
	for p := range parts {
		b.parts = append(b.parts, newPart(b, p*b.ch/parts, (p+1)*b.ch/parts))
	}
	b.done = make(chan struct{}, parts)
	for p := 1; p < parts; p++ {
		k := make(chan phase, 1)
		b.kick = append(b.kick, k)
		go b.helper(b.parts[p], k)
	}
	return b, nil
}

// helper runs one band's share of each phase it is kicked for, until Close.
func (b *Beauty) helper(p *part, kick <-chan phase) {
	for ph := range kick {
		b.run(p, ph)
		b.done <- struct{}{}
	}
}

func (b *Beauty) run(p *part, ph phase) {
	switch ph {
	case phaseGuide:
		b.guideRows(p.j0, p.j1)
		p.saveEdges()
	case phaseFilter:
		p.filter()
	}
}

// phase runs ph over all bands: the helpers take theirs, the caller's
// goroutine the first, and it returns when all are done.
func (b *Beauty) phase(ph phase) {
	for _, k := range b.kick {
		k <- ph
	}
	b.run(b.parts[0], ph)
	for range b.kick {
		<-b.done
	}
}

// SetStrength sets how much skin is smoothed, clamped to 0..1 (NaN is 0).
// Safe from any goroutine; the next frame uses it.
func (b *Beauty) SetStrength(s float64) { b.strength.Store(math.Float64bits(clamp01(s))) }

// Strength is the smoothing strength in use, 0..1.
func (b *Beauty) Strength() float64 { return math.Float64frombits(b.strength.Load()) }

// SetBrighten sets how much skin is lifted, clamped to 0..1 (NaN is 0).
// Safe from any goroutine; the next frame uses it.
func (b *Beauty) SetBrighten(v float64) { b.brighten.Store(math.Float64bits(clamp01(v))) }

// Brighten is the brightening in use, 0..1.
func (b *Beauty) Brighten() float64 { return math.Float64frombits(b.brighten.Load()) }

func clamp01(v float64) float64 {
	if !(v > 0) { // NaN too
		return 0
	}
	return min(v, 1)
}

// ErrClosed is returned by Apply and Process after Close.
var ErrClosed = errors.New("beauty: closed")

// Apply smooths the skin of f in place. f must be yuv420p (or yuvj420p)
// of the size the stage was made for, with buffers of its own (writable).
// Its colour range says how to read skin colour: full range ("JPEG", as
// MJPEG cameras give) or, by default, video range.
func (b *Beauty) Apply(f *astiav.Frame, _ time.Duration) error {
	if !av.IsWritable(f) {
		// Its buffers are shared with another frame, which the stage
		// would change too.
		return errors.New("beauty: frame not writable")
	}
	pf := f.PixelFormat()
	if pf != astiav.PixelFormatYuv420P && pf != astiav.PixelFormatYuvj420P {
		return fmt.Errorf("beauty: pixel format %s: want yuv420p", pf)
	}
	if f.Width() != b.width || f.Height() != b.height {
		return fmt.Errorf("beauty: frame %dx%d: stage is %dx%d", f.Width(), f.Height(), b.width, b.height)
	}
	full := pf == astiav.PixelFormatYuvj420P || f.ColorRange() == astiav.ColorRangeJpeg
	y, ys := av.Plane(f, 0)
	u, us := av.Plane(f, 1)
	v, vs := av.Plane(f, 2)
	return b.process(y, u, v, ys, us, vs, full)
}

// Process smooths the skin of one yuv420p picture given as planes, in
// place: y is width×height with lines yStride bytes apart, u and v are
// ⌈width/2⌉×⌈height/2⌉ with lines cStride apart (bytes past a line's
// width, the padding, are never touched). Samples are video range
// (BT.601/709 "MPEG" range, what yuv420p normally holds). It is what
// Apply runs, without an FFmpeg frame.
func (b *Beauty) Process(y, u, v []byte, yStride, cStride int) error {
	return b.process(y, u, v, yStride, cStride, cStride, false)
}

// ProcessFullRange is Process for full-range ("JPEG") samples.
func (b *Beauty) ProcessFullRange(y, u, v []byte, yStride, cStride int) error {
	return b.process(y, u, v, yStride, cStride, cStride, true)
}

func (b *Beauty) process(y, u, v []byte, ys, us, vs int, full bool) error {
	if b.closed {
		return ErrClosed
	}
	if ys < b.width || us < b.cw || vs < b.cw {
		return fmt.Errorf("beauty: line sizes %d/%d/%d: shorter than the picture (%d/%d)", ys, us, vs, b.width, b.cw)
	}
	if len(y) < (b.height-1)*ys+b.width || len(u) < (b.ch-1)*us+b.cw || len(v) < (b.ch-1)*vs+b.cw {
		return fmt.Errorf("beauty: planes of %d/%d/%d bytes: too small for %dx%d", len(y), len(u), len(v), b.width, b.height)
	}
	s, br := b.Strength(), b.Brighten()
	s256, b256 := int(math.Round(s*maxBlend*256)), int(math.Round(br*256))
	if s256 == 0 && b256 == 0 {
		return nil // a strength too small to change a sample (below ~0.002)
	}
	if s != b.alutFor {
		buildALUT(b.alut, maxEpsilon*s, b.aUnit)
		b.alutFor = s
	}
	if br != b.toneFor {
		b.tone.build(br)
		b.toneFor = br
	}
	b.frame = frame{
		y: y, u: u, v: v, ys: ys, us: us, vs: vs,
		s256: s256, b256: b256,
		fullRange: full,
	}
	b.phase(phaseGuide)
	if b.anySkin() {
		b.phase(phaseFilter)
	}
	b.frame = frame{} // hold no reference to the caller's planes
	return nil
}

// anySkin says whether the first phase found skin anywhere: without, the
// picture stays as it is.
func (b *Beauty) anySkin() bool {
	if b.full {
		return true
	}
	for j, hi := range b.skinHi {
		if hi > b.skinLo[j] {
			return true
		}
	}
	return false
}

// Close stops the helper goroutines (a stage never closed keeps them).
// The stage cannot be used after; closing twice is harmless.
func (b *Beauty) Close() {
	if b.closed {
		return
	}
	b.closed = true
	for _, k := range b.kick {
		close(k)
	}
}
