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

// TestPattern is the built-in source: a generated picture with a running
// clock, and a sine tone on every channel. The default look is FFmpeg's
// moving colour pattern with a 1 kHz tone: sine's default amplitude of 1/8
// (−18 dBFS), upmixed from mono at −3 dB, so each channel peaks at −21.1 dBFS.
type TestPattern struct {
	merger
	video, audio *filters.Graph
}

// PatternLook chooses what the test pattern shows and sounds like.
type PatternLook struct {
	// Pattern is testsrc2 (moving colours; the default), smptehdbars or color.
	Pattern string
	// Color is the background of the color pattern (#rrggbb or an FFmpeg name).
	Color string
	// Text is drawn large in the middle ("Be right back"); empty draws nothing.
	Text string
	// ToneHz is the sine frequency; 0 is silence.
	ToneHz int
	// NoClock leaves out the running clock (a still picture taken from
	// the pattern, such as a guest's placeholder, would show it stopped).
	NoClock bool
}

// DefaultLook is the moving pattern with a 1 kHz tone.
var DefaultLook = PatternLook{Pattern: "testsrc2", ToneHz: 1000}

// NewTestPattern opens the default test pattern at the given size and rate,
// with 48 kHz stereo audio.
func NewTestPattern(width, height int, rate astiav.Rational) (*TestPattern, error) {
	return NewTestPatternFormat(Format{Width: width, Height: height, FrameRate: rate})
}

// NewTestPatternFormat opens the default test pattern in format f (a zero
// sample rate or channel count means 48 kHz stereo).
func NewTestPatternFormat(f Format) (*TestPattern, error) {
	return NewTestPatternLook(f, DefaultLook)
}

// NewTestPatternLook opens a test pattern with the given look in format f.
func NewTestPatternLook(f Format, look PatternLook) (*TestPattern, error) {
	f.SampleRate, f.Channels = audioDefaults(f.SampleRate, f.Channels)
	width, height, rate := f.Width, f.Height, f.FrameRate
	t := &TestPattern{merger: merger{format: f}}
	size := fmt.Sprintf("size=%dx%d:rate=%d/%d", width, height, rate.Num(), rate.Den())
	var vdesc string
	switch look.Pattern {
	case "", "testsrc2":
		vdesc = "testsrc2=" + size
	case "smptehdbars":
		vdesc = "smptehdbars=" + size
	case "color":
		c := look.Color
		if c == "" {
			c = "#1d2533"
		}
		vdesc = fmt.Sprintf("color=c=%s:%s", c, size)
	default:
		return nil, fmt.Errorf("test pattern: unknown pattern %q", look.Pattern)
	}
	if _, err := os.Stat(clockFont); err == nil {
		if !look.NoClock {
			fs := max(height/12, 12)
			vdesc += fmt.Sprintf(",drawtext=fontfile=%s:fontsize=%d:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=%d"+
				":x=(w-tw)/2:y=h-th-%d:text='studio  %%{pts\\:hms}'", clockFont, fs, fs/4, fs)
		}
		if look.Text != "" {
			// drawtext reads the caption from a file when the graph is
			// built, which spares quoting it through three escaping levels.
			caption, err := writeCaption(look.Text)
			if err != nil {
				return nil, fmt.Errorf("test pattern caption: %w", err)
			}
			defer os.Remove(caption)
			vdesc += fmt.Sprintf(",drawtext=fontfile=%s:fontsize=%d:fontcolor=white:x=(w-tw)/2:y=(h-th)/2:expansion=none:textfile=%s",
				clockFont, max(height/8, 16), caption)
		}
	}
	vdesc += ",format=yuv420p"
	var err error
	if t.video, err = filters.NewGenerator(vdesc, false); err != nil {
		return nil, fmt.Errorf("test pattern video: %w", err)
	}
	tone := fmt.Sprintf("sine=frequency=%d:sample_rate=%d:samples_per_frame=%d", look.ToneHz, f.SampleRate, AudioFrameSamples)
	if look.ToneHz <= 0 {
		tone = fmt.Sprintf("anullsrc=channel_layout=mono:sample_rate=%d:nb_samples=%d", f.SampleRate, AudioFrameSamples)
	}
	adesc := tone + "," + audioOut(f.Channels)
	if t.audio, err = filters.NewGenerator(adesc, true); err != nil {
		t.video.Close()
		return nil, fmt.Errorf("test pattern audio: %w", err)
	}
	return t, nil
}

// writeCaption puts text in a temporary file for drawtext's textfile option.
func writeCaption(text string) (string, error) {
	f, err := os.CreateTemp("", "studio-caption-*.txt")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
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
