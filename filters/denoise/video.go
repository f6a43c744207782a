package denoise

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
)

// hqdn3d's own defaults (luma spatial, chroma spatial, luma temporal,
// chroma temporal), which Strength 0.5 reproduces.
const (
	hqLumaSpatial   = 4.0
	hqChromaSpatial = 3.0
	hqLumaTmp       = 6.0
	hqChromaTmp     = 4.5
)

// VideoConfig sets a Video denoiser.
type VideoConfig struct {
	// Strength 0..1 scales hqdn3d's four strengths linearly: luma_spatial
	// = 8s, chroma_spatial = 6s, luma_tmp = 12s, chroma_tmp = 9s, so the
	// default 0.5 is hqdn3d's own default (4:3:6:4.5) and 1 is twice that.
	// 0 passes frames through untouched (hqdn3d would read zeros as "use
	// the defaults").
	Strength float64
}

// DefaultVideoConfig returns Strength 0.5 (hqdn3d's defaults).
func DefaultVideoConfig() VideoConfig { return VideoConfig{Strength: 0.5} }

// Validate reports a setting Video cannot use.
func (c VideoConfig) Validate() error {
	if !(c.Strength >= 0 && c.Strength <= 1) {
		return fmt.Errorf("video denoise: strength %g: must be between 0 and 1", c.Strength)
	}
	return nil
}

// Video is spatial and temporal noise reduction (FFmpeg's hqdn3d) of
// yuv420p frames of one size, in place and without latency: hqdn3d gives
// one frame back for each frame in, its temporal part working from its own
// memory of the previous output.
//
// The frame stays the caller's: it is pushed as a new reference and the
// result is copied back into its planes (a 720p copy is ~2 % of hqdn3d's
// own cost), so on an error it is left as it was.
//
// A new strength is sent to the running hqdn3d as filter commands between
// two frames, so its temporal memory carries on. A gap of more than MaxGap
// in Apply's t (the stage was off, the source stalled, time went back)
// builds a new graph instead: the last picture is stale and would be
// blended into the new one. Strength 0 runs no graph at all.
type Video struct {
	width, height int
	tmpl          *astiav.Frame // format template for building graphs
	graph         *filters.Graph
	built         float64       // the strength the graph runs at
	out           *astiav.Frame // hqdn3d's output, copied back into the caller's frame
	strength      atomicFloat
	lastT         time.Duration // t of the last frame denoised
}

// MaxGap is the longest pause between two frames' times over which Video
// keeps its temporal memory.
const MaxGap = 250 * time.Millisecond

// NewVideo builds the denoiser for yuv420p frames of width × height.
func NewVideo(width, height int, cfg VideoConfig) (*Video, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if width < 16 || height < 16 || width > 8192 || height > 8192 {
		return nil, fmt.Errorf("video denoise: size %dx%d: must be between 16x16 and 8192x8192", width, height)
	}
	v := &Video{
		width: width, height: height,
		tmpl:  astiav.AllocFrame(),
		out:   astiav.AllocFrame(),
		built: -1,
	}
	v.tmpl.SetWidth(width)
	v.tmpl.SetHeight(height)
	v.tmpl.SetPixelFormat(astiav.PixelFormatYuv420P)
	v.tmpl.SetSampleAspectRatio(astiav.NewRational(1, 1))
	v.strength.Store(cfg.Strength)
	if err := v.build(cfg.Strength); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// hqdn3dOptions are hqdn3d's four strengths at s (see VideoConfig), as
// option names and values.
func hqdn3dOptions(s float64) [4][2]string {
	f := func(v float64) string { return strconv.FormatFloat(2*s*v, 'g', 6, 64) }
	return [4][2]string{{"luma_spatial", f(hqLumaSpatial)}, {"chroma_spatial", f(hqChromaSpatial)},
		{"luma_tmp", f(hqLumaTmp)}, {"chroma_tmp", f(hqChromaTmp)}}
}

// hqdn3dArgs is the filter description for a strength.
func hqdn3dArgs(s float64) string {
	var opts []string
	for _, o := range hqdn3dOptions(s) {
		opts = append(opts, o[0]+"="+o[1])
	}
	return "hqdn3d=" + strings.Join(opts, ":")
}

// build replaces the graph with a fresh one (no temporal memory) for
// strength s; none for 0.
func (v *Video) build(s float64) error {
	if v.graph != nil {
		v.graph.Close()
		v.graph = nil
	}
	v.built = -1
	if s == 0 {
		v.built = 0
		return nil
	}
	g, err := filters.NewVideo(hqdn3dArgs(s), v.tmpl, astiav.NewRational(1, 90000))
	if err != nil {
		return fmt.Errorf("video denoise: %w", err)
	}
	v.graph, v.built = g, s
	return nil
}

// retune moves the running hqdn3d to strength s, or builds a graph when
// none runs (strength was 0).
func (v *Video) retune(s float64) error {
	if v.graph == nil || s == 0 {
		return v.build(s)
	}
	for _, o := range hqdn3dOptions(s) {
		if err := v.graph.SendCommand("hqdn3d", o[0], o[1]); err != nil {
			return fmt.Errorf("video denoise: %w", err)
		}
	}
	v.built = s
	return nil
}

// SetStrength sets the strength (0..1, see VideoConfig) from any goroutine;
// the next frame uses it. NaN is ignored.
func (v *Video) SetStrength(s float64) {
	if s, ok := clamp01(s); ok {
		v.strength.Store(s)
	}
}

// Strength reports the last strength set.
func (v *Video) Strength() float64 { return v.strength.Load() }

// Apply denoises f in place. f must be yuv420p at the size the denoiser
// was made for; t, its program time, only tells gaps (see MaxGap).
func (v *Video) Apply(f *astiav.Frame, t time.Duration) error {
	if f.PixelFormat() != astiav.PixelFormatYuv420P || f.Width() != v.width || f.Height() != v.height {
		return fmt.Errorf("video denoise: frame is %s %dx%d, want yuv420p %dx%d",
			f.PixelFormat(), f.Width(), f.Height(), v.width, v.height)
	}
	s := v.strength.Load()
	gap := v.graph != nil && (t-v.lastT > MaxGap || t < v.lastT)
	v.lastT = t
	switch {
	case gap:
		if err := v.build(s); err != nil {
			return err
		}
	case s != v.built:
		if err := v.retune(s); err != nil {
			return err
		}
	}
	if v.graph == nil {
		return nil
	}
	if err := v.graph.Push(f); err != nil {
		return fmt.Errorf("video denoise: push: %w", err)
	}
	v.out.Unref()
	if err := v.graph.Pull(v.out); err != nil {
		if errors.Is(err, astiav.ErrEagain) {
			return errors.New("video denoise: hqdn3d kept the frame") // it never does
		}
		return fmt.Errorf("video denoise: pull: %w", err)
	}
	for i := 0; i < 3; i++ {
		dst, ds := av.Plane(f, i)
		src, ss := av.Plane(v.out, i)
		w, h := v.width, v.height
		if i > 0 {
			w, h = (w+1)/2, (h+1)/2
		}
		for y := 0; y < h; y++ {
			copy(dst[y*ds:y*ds+w], src[y*ss:y*ss+w])
		}
	}
	return nil
}

// Close frees the graph and the frames.
func (v *Video) Close() {
	if v.graph != nil {
		v.graph.Close()
		v.graph = nil
	}
	for _, f := range []**astiav.Frame{&v.tmpl, &v.out} {
		if *f != nil {
			(*f).Free()
			*f = nil
		}
	}
}
