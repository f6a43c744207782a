// Package chain runs the filters of one source, or of the program, in the
// fixed order a streamer expects (video: denoise → beauty → watermark;
// audio: audio_denoise → gate → gain → limiter), built from a preset's
// filters: section, and takes live control from any goroutine: a filter
// toggles or changes strength between two frames, without touching
// timestamps or the frames around it.
package chain

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
	"studio/pipeline/stats"
)

// Options is the format the chain's stages are made for.
type Options struct {
	Width, Height        int
	SampleRate, Channels int
	// Epoch is the wall-clock time of program time 0, for clocks.
	Epoch time.Time
	// Logf hears of a filter that failed and was turned off (nil: nobody).
	Logf func(format string, args ...any)
}

// strengthStage is a stage with a main parameter 0..1 that may change live
// (beauty, denoise, audio denoise).
type strengthStage interface {
	SetStrength(float64)
	Strength() float64
}

// audioStage is an audio stage that bypasses itself when disabled, keeping
// its latency (see filters.Audio).
type audioStage interface {
	filters.Audio
	SetEnabled(bool)
	Enabled() bool
}

// videoSlot is one video filter: made at start when configured, or on
// first use (beauty, denoise) by the control goroutine; the processing
// goroutine reads it through atomics. Video stages have no bypass of their
// own: the slot's on is it.
type videoSlot struct {
	name  string
	stage atomic.Pointer[videoStage]
	on    atomic.Bool
	// start is the strength the stage is made with (mu).
	start float64
}

type videoStage struct{ filters.Video }

// audioSlot is one audio filter; only configured ones exist, made at start,
// so that a stage with latency is in the path from the first sample. The
// stage holds its own on/off and strength.
type audioSlot struct {
	name   string
	stage  audioStage
	failed atomic.Bool // it returned an error: left out from then on
}

// Chain is the filters of one source or of the program.
type Chain struct {
	name string
	opts Options

	// make builds a video stage on first use (nil: not possible unconfigured).
	make   func(name string, strength float64) (filters.Video, error)
	mu     sync.Mutex // serialises Set/SetStrength (creation) and Close
	closed bool       // nothing is made after Close
	video  []*videoSlot
	audio  []*audioSlot

	planes [][]float32 // Audio's reused view of a frame's channels

	brighten float64 // beauty's, from the preset
}

// Video applies the enabled video filters to f in place, making f's
// buffers its own first (a copy only when they are shared). Call from the
// one processing goroutine. A nil Chain does nothing.
func (c *Chain) Video(f *astiav.Frame, t time.Duration) error {
	if c == nil {
		return nil
	}
	writable := false
	for _, s := range c.video {
		st := s.stage.Load()
		if st == nil || !s.on.Load() {
			continue
		}
		if !writable {
			if err := av.MakeWritable(f); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			writable = true
		}
		if err := st.Apply(f, t); err != nil {
			// One filter failing must not end the broadcast: it goes off
			// (the console shows it off and may try it again).
			s.on.Store(false)
			c.failed(s.name, err)
		}
	}
	return nil
}

// HasAudio says whether any audio filter is configured.
func (c *Chain) HasAudio() bool { return c != nil && len(c.audio) > 0 }

// Audio runs the configured audio filters over a planar-float frame in
// place (each bypasses itself while off, keeping its latency).
func (c *Chain) Audio(f *astiav.Frame) error {
	if c == nil || len(c.audio) == 0 {
		return nil
	}
	if err := av.MakeWritable(f); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	c.planes = c.planes[:0]
	for ch := 0; ch < c.opts.Channels; ch++ {
		c.planes = append(c.planes, av.PlanarFloat(f, ch))
	}
	for _, s := range c.audio {
		if s.failed.Load() {
			continue
		}
		if err := s.stage.Process(c.planes); err != nil {
			s.failed.Store(true)
			c.failed(s.name, err)
		}
	}
	return nil
}

// failed reports a filter that failed and is off from now on.
func (c *Chain) failed(filter string, err error) {
	if c.opts.Logf != nil {
		c.opts.Logf("%s: %s failed and is off: %v", c.name, filter, err)
	}
}

// Set turns a filter on or off. Beauty and denoise are made on first use
// when the preset did not configure them; the others must be configured.
func (c *Chain) Set(filter string, on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.videoSlot(filter); s != nil {
		if on && s.stage.Load() == nil {
			if err := c.makeVideo(s); err != nil {
				return err
			}
		}
		s.on.Store(on)
		return nil
	}
	if s := c.audioSlot(filter); s != nil {
		s.stage.SetEnabled(on)
		return nil
	}
	return c.missing(filter)
}

// SetStrength sets the main parameter (0..1) of beauty, denoise or
// audio_denoise. Like Set, it makes beauty or denoise on first use (off).
func (c *Chain) SetStrength(filter string, v float64) error {
	if math.IsNaN(v) {
		return fmt.Errorf("%s: %s: strength is not a number", c.name, filter)
	}
	v = min(max(v, 0), 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	var stage any
	if s := c.videoSlot(filter); s != nil {
		st := s.stage.Load()
		if st == nil && stats.HasStrength(filter) {
			s.start = v
			return c.makeVideo(s)
		}
		if st != nil {
			stage = st.Video
		}
	} else if s := c.audioSlot(filter); s != nil {
		stage = s.stage
	} else {
		return c.missing(filter)
	}
	ss, ok := stage.(strengthStage)
	if !ok {
		return fmt.Errorf("%s: %s has no strength", c.name, filter)
	}
	ss.SetStrength(v)
	return nil
}

func (c *Chain) makeVideo(s *videoSlot) error {
	if c.closed {
		return fmt.Errorf("%s: %s: the program has stopped", c.name, s.name)
	}
	if c.make == nil {
		return c.missing(s.name)
	}
	st, err := c.make(s.name, s.start)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", c.name, s.name, err)
	}
	if st == nil {
		return c.missing(s.name)
	}
	s.stage.Store(&videoStage{st})
	return nil
}

func (c *Chain) missing(filter string) error {
	for _, k := range stats.FilterNames {
		if k == filter {
			where := "sources[].filters"
			if c.name == stats.ProgramName {
				where = "filters"
			}
			return fmt.Errorf("%s has no %s: add %s.%s to the preset", c.name, filter, where, filter)
		}
	}
	return fmt.Errorf("unknown filter %q (known: %s)", filter, strings.Join(stats.FilterNames, ", "))
}

func (c *Chain) videoSlot(name string) *videoSlot {
	for _, s := range c.video {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (c *Chain) audioSlot(name string) *audioSlot {
	for _, s := range c.audio {
		if s.name == name {
			return s
		}
	}
	return nil
}

// State lists the filters that exist (configured or made since), in
// processing order, video first.
func (c *Chain) State() []stats.Filter {
	if c == nil {
		return nil
	}
	c.mu.Lock() // stages are made and freed under it
	defer c.mu.Unlock()
	var out []stats.Filter
	add := func(name string, on bool, stage any) {
		f := stats.Filter{Name: name, On: on}
		if ss, ok := stage.(strengthStage); ok {
			f.Strength = ss.Strength()
		}
		out = append(out, f)
	}
	for _, s := range c.video {
		if st := s.stage.Load(); st != nil {
			add(s.name, s.on.Load(), st.Video)
		}
	}
	for _, s := range c.audio {
		add(s.name, s.stage.Enabled() && !s.failed.Load(), s.stage)
	}
	return out
}

// Close frees every stage. Call once processing has stopped; Set and
// SetStrength make nothing after it (a console may still send them).
func (c *Chain) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, s := range c.video {
		if st := s.stage.Swap(nil); st != nil {
			st.Close()
		}
	}
	for _, s := range c.audio {
		s.stage.Close()
	}
	c.audio = nil
}
