// Package source owns everything that produces raw frames in the program
// format: media files and network inputs (demux + decode + convert) and the
// built-in test pattern. Every source delivers yuv420p video at the program
// size and rate and 48 kHz stereo (or as configured) planar-float audio in 1024-sample frames,
// stamped in program time, in presentation order.
package source

import (
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"studio/pipeline/media"
)

// Format is the program format a source delivers.
type Format struct {
	Width, Height int
	// FrameRate is frames per second as a rational (30/1, 30000/1001).
	FrameRate  astiav.Rational
	SampleRate int
	Channels   int
}

// VideoTimeBase is the time base of video frame PTS: one tick per frame.
func (f Format) VideoTimeBase() astiav.Rational {
	return astiav.NewRational(f.FrameRate.Den(), f.FrameRate.Num())
}

// AudioTimeBase is the time base of audio frame PTS: one tick per sample.
func (f Format) AudioTimeBase() astiav.Rational { return astiav.NewRational(1, f.SampleRate) }

// VideoTime is the program time of video frame n.
func (f Format) VideoTime(n int64) time.Duration {
	return media.TicksToDuration(n, f.FrameRate.Den(), f.FrameRate.Num())
}

// AudioTime is the program time of audio sample n.
func (f Format) AudioTime(n int64) time.Duration { return media.TicksToDuration(n, 1, f.SampleRate) }

// Frame is one raw frame. AV and its buffers belong to the source and stay
// valid until the next Read: consumers that keep a frame must Ref it.
type Frame struct {
	Kind media.Kind
	AV   *astiav.Frame
	// PTS is in the kind's time base (Format.VideoTimeBase or AudioTimeBase).
	PTS int64
	// Time is PTS as program time, for pacing and A/V ordering.
	Time time.Duration
}

// Source is a pull reader of program frames (pion/mediadevices style).
type Source interface {
	// Format is what Read delivers; fixed once the source is open.
	Format() Format
	// Read returns the next frame in presentation order, or io.EOF when the
	// input has ended for good.
	Read() (Frame, error)
	// CorruptPackets counts input packets that failed to decode and were skipped.
	CorruptPackets() int64
	// Close frees every FFmpeg object the source holds.
	Close()
}

const (
	// ProgramSampleRate and ProgramChannels are the default audio format.
	ProgramSampleRate = 48000
	ProgramChannels   = 2
	// AudioFrameSamples is the AAC frame size every audio frame is cut to.
	AudioFrameSamples = 1024
)

// audioOut is the filter chain tail that cuts audio to the program format.
func audioOut(channels int) string {
	return fmt.Sprintf("aformat=sample_fmts=fltp:channel_layouts=%s,asetnsamples=n=%d:p=0", layoutName(channels), AudioFrameSamples)
}

// audioDefaults fills a zero sample rate or channel count with the program defaults.
func audioDefaults(rate, channels int) (int, int) {
	if rate <= 0 {
		rate = ProgramSampleRate
	}
	if channels <= 0 {
		channels = ProgramChannels
	}
	return rate, channels
}

// fitChain is the filter chain that brings w x h pictures to the program
// size and yuv420p: scaled to fit with the aspect kept and padded (black
// bars), square pixels.
func fitChain(w, h int, out Format) string {
	chain := ""
	if w != out.Width || h != out.Height {
		chain = fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease:flags=bicubic,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,",
			out.Width, out.Height, out.Width, out.Height)
	}
	return chain + "setsar=1,format=yuv420p"
}

// channelLayout is the astiav channel layout for a channel count.
func channelLayout(channels int) astiav.ChannelLayout {
	if channels == 1 {
		return astiav.ChannelLayoutMono
	}
	return astiav.ChannelLayoutStereo
}

// layoutName is the FFmpeg channel layout for a channel count.
func layoutName(channels int) string {
	if channels == 1 {
		return "mono"
	}
	return "stereo"
}
