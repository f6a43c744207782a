package chain

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/filters"
	"studio/internal/av"
	"studio/pipeline/stats"
)

// addOne is a video stage that adds 1 to every luma byte, or its strength
// × 10 when it has been given one.
type addOne struct {
	strength float64
	closed   *int
}

func (a *addOne) Apply(f *astiav.Frame, _ time.Duration) error {
	y, _ := av.Plane(f, 0)
	d := byte(1)
	if a.strength > 0 {
		d = byte(a.strength * 10)
	}
	for i := range y {
		y[i] += d
	}
	return nil
}
func (a *addOne) SetStrength(v float64) { a.strength = v }
func (a *addOne) Strength() float64     { return a.strength }
func (a *addOne) Close()                { *a.closed++ }

// halve is an audio stage that halves samples while enabled.
type halve struct{ on bool }

func (h *halve) Process(p [][]float32) error {
	if h.on {
		for _, c := range p {
			for i := range c {
				c[i] /= 2
			}
		}
	}
	return nil
}
func (h *halve) SetEnabled(on bool) { h.on = on }
func (h *halve) Enabled() bool      { return h.on }
func (h *halve) Close()             {}

func picture(t *testing.T) *astiav.Frame {
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetWidth(4)
	f.SetHeight(2)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	require.NoError(t, f.AllocBuffer(0))
	y, _ := av.Plane(f, 0)
	clear(y)
	return f
}

func testChain(closed *int) *Chain {
	c := &Chain{name: "cam", opts: Options{Channels: 2}}
	for _, n := range []string{stats.FilterDenoise, stats.FilterBeauty, stats.FilterWatermark} {
		c.video = append(c.video, &videoSlot{name: n})
	}
	c.video[1].start = 0.5
	c.make = func(name string, strength float64) (filters.Video, error) {
		switch name {
		case stats.FilterBeauty:
			return &addOne{strength: strength, closed: closed}, nil
		case stats.FilterDenoise:
			return nil, errors.New("hqdn3d: broken")
		}
		return nil, nil
	}
	c.audio = []*audioSlot{{name: stats.FilterGate, stage: &halve{on: true}}}
	return c
}

func TestChainTogglesLiveAndMakesBeautyOnFirstUse(t *testing.T) {
	closed := 0
	c := testChain(&closed)
	f := picture(t)
	y, _ := av.Plane(f, 0)

	require.NoError(t, c.Video(f, 0))
	require.Equal(t, byte(0), y[0], "nothing configured, nothing done")
	require.Empty(t, videoNames(c.State()))

	require.NoError(t, c.Set(stats.FilterBeauty, true))
	require.NoError(t, c.Video(f, 0))
	require.Equal(t, byte(5), y[0], "beauty at its default strength 0.5")
	require.NoError(t, c.SetStrength(stats.FilterBeauty, 2))
	require.NoError(t, c.Video(f, 0))
	require.Equal(t, byte(15), y[0], "strength clamped to 1, used on the next frame")
	require.Equal(t, []stats.Filter{{Name: stats.FilterBeauty, On: true, Strength: 1}, {Name: stats.FilterGate, On: true}}, c.State())

	require.NoError(t, c.Set(stats.FilterBeauty, false))
	require.NoError(t, c.Video(f, 0))
	require.Equal(t, byte(15), y[0], "off: untouched")

	require.EqualError(t, c.Set(stats.FilterWatermark, true), "cam has no watermark: add sources[].filters.watermark to the preset")
	require.EqualError(t, c.Set(stats.FilterDenoise, true), "cam: denoise: hqdn3d: broken")
	require.EqualError(t, c.Set(stats.FilterLimiter, true), "cam has no limiter: add sources[].filters.limiter to the preset")
	require.EqualError(t, c.Set("blur", true), `unknown filter "blur" (known: denoise, beauty, watermark, audio_denoise, gate, gain, limiter)`)
	require.EqualError(t, c.SetStrength(stats.FilterGate, 0.3), "cam: gate has no strength")
	require.EqualError(t, c.SetStrength(stats.FilterBeauty, math.NaN()), "cam: beauty: strength is not a number")

	c.Close()
	require.Equal(t, 1, closed, "the beauty made on first use is freed")
	require.EqualError(t, c.Set(stats.FilterBeauty, true), "cam: beauty: the program has stopped", "nothing made after Close")
}

func TestChainAudioBypassesWhenOff(t *testing.T) {
	c := testChain(new(int))
	f := astiav.AllocFrame()
	defer f.Free()
	f.SetNbSamples(4)
	f.SetSampleFormat(astiav.SampleFormatFltp)
	f.SetSampleRate(48000)
	f.SetChannelLayout(astiav.ChannelLayoutStereo)
	require.NoError(t, f.AllocBuffer(0))
	l, r := av.PlanarFloat(f, 0), av.PlanarFloat(f, 1)
	l[0], r[0] = 1, 1
	require.NoError(t, c.Audio(f))
	require.Equal(t, float32(0.5), l[0])
	require.Equal(t, float32(0.5), r[0], "every channel")
	require.NoError(t, c.Set(stats.FilterGate, false))
	require.NoError(t, c.Audio(f))
	require.Equal(t, float32(0.5), l[0])
	require.Equal(t, []stats.Filter{{Name: stats.FilterGate, On: false}}, c.State())
	allocs := testing.AllocsPerRun(100, func() { _ = c.Audio(f) })
	require.Zero(t, allocs)
}

func videoNames(fs []stats.Filter) []string {
	var out []string
	for _, f := range fs {
		if f.Name == stats.FilterBeauty || f.Name == stats.FilterDenoise || f.Name == stats.FilterWatermark {
			out = append(out, f.Name)
		}
	}
	return out
}

type failing struct{}

func (failing) Apply(*astiav.Frame, time.Duration) error {
	return errors.New("drawtext: out of memory")
}
func (failing) Process([][]float32) error { return errors.New("afftdn: broken") }
func (failing) SetEnabled(bool)           {}
func (failing) Enabled() bool             { return true }
func (failing) Close()                    {}

// A filter that fails is turned off and reported; the frame goes on (the
// broadcast does not end over a logo).
func TestFailingFilterTurnsOffNotTheProgram(t *testing.T) {
	var logged []string
	c := testChain(new(int))
	c.opts.Logf = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	c.video[2].stage.Store(&videoStage{failing{}})
	c.video[2].on.Store(true)
	c.audio = append(c.audio, &audioSlot{name: stats.FilterLimiter, stage: failing{}})
	f := picture(t)
	require.NoError(t, c.Video(f, 0))
	require.NoError(t, c.Video(f, 0))
	a := astiav.AllocFrame()
	defer a.Free()
	a.SetNbSamples(4)
	a.SetSampleFormat(astiav.SampleFormatFltp)
	a.SetSampleRate(48000)
	a.SetChannelLayout(astiav.ChannelLayoutStereo)
	require.NoError(t, a.AllocBuffer(0))
	require.NoError(t, c.Audio(a))
	require.NoError(t, c.Audio(a))
	require.Equal(t, []string{
		"cam: watermark failed and is off: drawtext: out of memory",
		"cam: limiter failed and is off: afftdn: broken",
	}, logged, "each reported once")
	require.Equal(t, []stats.Filter{{Name: stats.FilterWatermark}, {Name: stats.FilterGate, On: true}, {Name: stats.FilterLimiter}}, c.State())
}
