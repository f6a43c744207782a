package source

import (
	"errors"
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
)

// audioConverter turns interleaved float buffers from a capture device, at
// the device's rate, into program audio: 1024-sample planar frames at the
// program rate, stamped on the program clock. The device's clock drift is
// measured by a sampleClock and corrected by FFmpeg's aresample, which
// stretches or squeezes the audio (by at most asyncMaxStretch samples per
// second, inaudibly) so that every sample lands at the program time it was
// captured.
type audioConverter struct {
	inRate, channels int
	out              Format
	clock            *sampleClock

	graph *filters.Graph
	in    *astiav.Frame // packed float, reused for every buffer
	inCap int           // samples the in frame's buffer holds
	// outFrame is reused for every frame taken from the graph.
	outFrame *astiav.Frame
}

// asyncMaxStretch is aresample's async: how many samples per second it may
// add or remove to follow the timestamps (2 %, far more than any real
// clock drift; jitter is filtered before it, so it stretches little).
const asyncMaxStretch = 1000

// newAudioConverter prepares a converter for a device delivering the
// program's channel count, interleaved float, at inRate (nominal). out is
// the program format. (malgo mixes the device's channels to the count.)
func newAudioConverter(inRate int, out Format) *audioConverter {
	return &audioConverter{inRate: inRate, channels: out.Channels, out: out, clock: newSampleClock(float64(inRate))}
}

// push converts one device buffer of n samples per channel (len(samples) ==
// n*channels) that was complete at program time at, and hands every
// finished program frame to emit. The frame passed to emit is only valid
// during the call.
func (c *audioConverter) push(samples []float32, n int, at time.Duration, emit func(*astiav.Frame)) error {
	if n <= 0 {
		return nil
	}
	first := c.clock.buffer(n, at.Seconds())
	if c.graph == nil {
		if err := c.open(first); err != nil {
			return err
		}
	}
	if err := c.fill(samples, n); err != nil {
		return err
	}
	c.in.SetPts(int64(first * 1e6))
	if err := c.graph.Push(c.in); err != nil {
		return fmt.Errorf("audio capture: convert: %w", err)
	}
	return c.drain(emit)
}

// open builds the conversion graph, starting the output at the first
// buffer's program time.
func (c *audioConverter) open(first float64) error {
	pts := int64(first * float64(c.out.SampleRate))
	pts -= pts % AudioFrameSamples
	if pts < 0 {
		pts = 0
	}
	if c.in == nil {
		c.in = astiav.AllocFrame()
	}
	if err := c.alloc(4096); err != nil {
		return err
	}
	// min_hard_comp: only a jump of more than 100 ms (a stall) is filled
	// or trimmed at once; smaller differences are stretched away.
	// flags=res resamples from the start even at equal rates: otherwise
	// swresample re-initialises on its first compensation, forgets where
	// its output was, and pads the gap with a burst of silence.
	desc := fmt.Sprintf("aresample=%d:async=%d:min_hard_comp=0.100:first_pts=%d:flags=res,%s",
		c.out.SampleRate, asyncMaxStretch, pts, audioOut(c.out.Channels))
	g, err := filters.NewAudio(desc, c.in, microseconds)
	if err != nil {
		c.in.Free()
		c.in = nil
		return fmt.Errorf("audio capture: %w", err)
	}
	c.graph = g
	return nil
}

// alloc gives the input frame a buffer for at least n samples.
func (c *audioConverter) alloc(n int) error {
	c.in.Unref()
	c.in.SetSampleFormat(astiav.SampleFormatFlt)
	c.in.SetSampleRate(c.inRate)
	c.in.SetChannelLayout(channelLayout(c.channels))
	c.in.SetNbSamples(n)
	if err := c.in.AllocBuffer(0); err != nil {
		return fmt.Errorf("audio capture: buffer: %w", err)
	}
	c.inCap = n
	return nil
}

// fill copies a device buffer into the input frame, growing it when a
// buffer is larger than any before (devices may vary their period).
func (c *audioConverter) fill(samples []float32, n int) error {
	if n > c.inCap || !av.IsWritable(c.in) {
		if err := c.alloc(max(n, c.inCap)); err != nil {
			return err
		}
	}
	c.in.SetNbSamples(n)
	copy(av.PackedFloat(c.in, c.channels), samples[:n*c.channels])
	return nil
}

// drain hands every finished frame to emit.
func (c *audioConverter) drain(emit func(*astiav.Frame)) error {
	for {
		if c.outFrame == nil {
			c.outFrame = astiav.AllocFrame()
		}
		err := c.graph.Pull(c.outFrame)
		if errors.Is(err, astiav.ErrEagain) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("audio capture: convert: %w", err)
		}
		emit(c.outFrame)
		c.outFrame.Unref()
	}
}

// close frees the graph and frames.
func (c *audioConverter) close() {
	if c.graph != nil {
		c.graph.Close()
		c.graph = nil
	}
	for _, f := range []*astiav.Frame{c.in, c.outFrame} {
		if f != nil {
			f.Free()
		}
	}
	c.in, c.outFrame = nil, nil
}
