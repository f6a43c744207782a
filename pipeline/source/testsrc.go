package source

import (
	"errors"
	"fmt"
	"os"

	"github.com/asticode/go-astiav"

	"studio/filters"
)

// clockFont is used for the running clock when present (fonts-dejavu-core,
// installed by scripts/deps.sh); without it the pattern has no text.
const clockFont = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"

// TestPattern is the built-in source: FFmpeg's moving colour test pattern
// with a running clock, and a 1 kHz tone on both channels: sine's default
// amplitude of 1/8 (−18 dBFS), upmixed from mono at −3 dB, so each channel
// peaks at −21.1 dBFS.
type TestPattern struct {
	merger
	video, audio *filters.Graph
}

// NewTestPattern opens the test pattern at the given size and rate, with
// 48 kHz stereo audio.
func NewTestPattern(width, height int, rate astiav.Rational) (*TestPattern, error) {
	return NewTestPatternFormat(Format{Width: width, Height: height, FrameRate: rate})
}

// NewTestPatternFormat opens the test pattern in format f (a zero sample rate
// or channel count means 48 kHz stereo).
func NewTestPatternFormat(f Format) (*TestPattern, error) {
	f.SampleRate, f.Channels = audioDefaults(f.SampleRate, f.Channels)
	width, height, rate := f.Width, f.Height, f.FrameRate
	t := &TestPattern{merger: merger{format: f}}
	vdesc := fmt.Sprintf("testsrc2=size=%dx%d:rate=%d/%d", width, height, rate.Num(), rate.Den())
	if _, err := os.Stat(clockFont); err == nil {
		size := max(height/12, 12)
		vdesc += fmt.Sprintf(",drawtext=fontfile=%s:fontsize=%d:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=%d"+
			":x=(w-tw)/2:y=h-th-%d:text='studio  %%{pts\\:hms}'", clockFont, size, size/4, size)
	}
	vdesc += ",format=yuv420p"
	var err error
	if t.video, err = filters.NewGenerator(vdesc, false); err != nil {
		return nil, fmt.Errorf("test pattern video: %w", err)
	}
	adesc := fmt.Sprintf("sine=frequency=1000:sample_rate=%d:samples_per_frame=%d,%s", f.SampleRate, AudioFrameSamples, audioOut(f.Channels))
	if t.audio, err = filters.NewGenerator(adesc, true); err != nil {
		t.video.Close()
		return nil, fmt.Errorf("test pattern audio: %w", err)
	}
	return t, nil
}

// Format implements Source.
func (t *TestPattern) Format() Format { return t.format }

// CorruptPackets implements Source; a generator never has any.
func (t *TestPattern) CorruptPackets() int64 { return 0 }

// Read implements Source. The pattern never ends.
func (t *TestPattern) Read() (Frame, error) {
	t.release()
	for t.vq.len() == 0 {
		if err := pullOne(t.video, &t.vq); err != nil {
			return Frame{}, fmt.Errorf("test pattern video: %w", err)
		}
	}
	for t.aq.len() == 0 {
		if err := pullOne(t.audio, &t.aq); err != nil {
			return Frame{}, fmt.Errorf("test pattern audio: %w", err)
		}
	}
	return t.pop(), nil
}

// pullOne moves one frame from g into q.
func pullOne(g *filters.Graph, q *frameQueue) error {
	f := q.slot()
	if err := g.Pull(f); err != nil {
		q.drop(f)
		if errors.Is(err, astiav.ErrEagain) {
			return nil
		}
		return err
	}
	q.push(f)
	return nil
}

// Close implements Source.
func (t *TestPattern) Close() {
	t.merger.close()
	t.video.Close()
	t.audio.Close()
}
