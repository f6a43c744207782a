package denoise

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
)

// MaxReductionDB is the noise reduction at Strength 1; Strength s reduces
// noise by s × MaxReductionDB (the default 0.5: 20 dB).
const MaxReductionDB = 40.0

// MaxBlock is the longest block Process takes, in samples per channel.
const MaxBlock = 4096

const (
	// graphFloorDB is the noise floor afftdn is built with. Rather than
	// telling afftdn where the noise is (its nf option, which FFmpeg 5.1
	// can only change through a filter command, and whose own tracking, tn,
	// does not follow white noise at all here), Audio scales its input so
	// that the noise it measured sits there, and scales the output back.
	graphFloorDB = -50.0
	// silentEnergy is the mean square (−100 dBFS) at or below which a
	// block is digital silence to the noise tracker.
	silentEnergy = 1e-10
	// floorOffsetDB places afftdn's floor above the measured one: the
	// tracker takes the quietest blocks, which sit a little under the
	// noise's mean level, and afftdn reduces little of what it takes to be
	// at its floor. +3 dB measured best on white noise under speech.
	floorOffsetDB = 3.0
	// preGainLimitDB bounds that scaling: measured floors outside
	// graphFloorDB−floorOffsetDB ± 40 dB (about −93..−13 dBFS) are treated
	// as the nearest bound.
	preGainLimitDB = 40.0
	// The scaling follows the measured floor at most this fast: quickly
	// when the noise gets quieter (less reduction is the safe side), slowly
	// when it gets louder, so a long stretch of speech that lifts the
	// tracker's minimum cannot make the denoiser eat speech at once. Slow
	// changes also keep the un-scaling accurate: afftdn mixes 37.5 ms of
	// input into each output sample, over which the scaling moves by at
	// most 0.75 dB.
	riseDBPerSec = 20.0
	fallDBPerSec = 6.0
	// The tracker's window: the floor is the quietest block of the last
	// trackerSubs × trackerSub seconds.
	trackerSub  = 0.25
	trackerSubs = 12
)

// AudioConfig sets an Audio denoiser.
type AudioConfig struct {
	// Strength 0..1 is how much noise is taken away: up to Strength ×
	// MaxReductionDB. Default 0.5 (20 dB), which takes white noise 10 dB
	// under speech down by about 18 dB and leaves the speech level within
	// 1 dB.
	Strength float64
	// Disabled makes the denoiser start bypassed (dry, at its latency).
	Disabled bool
}

// DefaultAudioConfig returns Strength 0.5, enabled.
func DefaultAudioConfig() AudioConfig { return AudioConfig{Strength: 0.5} }

// Validate reports a setting Audio cannot use.
func (c AudioConfig) Validate() error {
	if !(c.Strength >= 0 && c.Strength <= 1) {
		return fmt.Errorf("audio denoise: strength %g: must be between 0 and 1", c.Strength)
	}
	return nil
}

// Audio is FFT noise reduction (FFmpeg's afftdn) of planar float blocks.
//
// Latency: afftdn works in hops of sampleRate/80 samples (600 at 48 kHz)
// over a 3-hop window and delays what it gives back by two hops; Audio
// adds one more hop of buffering so that every Process call can return
// exactly as many samples as it got. Latency() is that total, measured
// once at start by an impulse through the same filter (1800 samples, 37.5
// ms, at 48 kHz), and it holds whether the denoiser is on, bypassed or
// toggling: the output starts with Latency() samples of silence (but for
// afftdn's pre-echo of the first window, some 50 dB down), and the
// bypassed output is the input delayed by exactly that much.
//
// Strength and bypass both set the wet share m of the output,
// dry + m·(denoised − dry), with dry the input delayed alike: afftdn
// changes each frequency bin by a real gain and rebuilds the signal
// exactly, so this mix is a floor under its gains, i.e. a maximum
// reduction of −20·log10(1 − m·(1 − 10^(−MaxReductionDB/20))) dB; m is
// chosen for Strength × MaxReductionDB. Any change of m (a toggle, a new
// strength) is a linear crossfade over the next block, and afftdn keeps
// running while bypassed, so switching back on is seamless.
//
// Noise floor: the input's level is measured per block and its minimum
// over the last 3 s is taken as the noise floor (NoiseFloorDB). The input
// is scaled so that floor lands at afftdn's fixed floor and the output is
// scaled back by the same factor delayed by the latency (see graphFloorDB).
// afftdn assumes a white noise spectrum: hiss and broadband fan noise go
// well, hum much less.
type Audio struct {
	channels int
	rate     int
	layout   astiav.ChannelLayout
	graph    *filters.Graph
	in       [3]*astiav.Frame // reused in turn: the graph may still hold the last one
	out      *astiav.Frame
	pts      int64

	latency int // D: afftdn's delay + one hop

	// wet is afftdn's output not yet given out, per channel (a ring).
	wet             [][]float32
	wetRead, wetLen int
	// dry holds the last D input samples per channel and unscale the
	// inverse of the scaling each got; dryPos is the oldest.
	dry     [][]float32
	unscale []float32
	dryPos  int

	// Noise-floor tracking and input scaling.
	subMin     [trackerSubs]float64
	subNext    int
	curMin     float64
	curCount   int
	subLen     int
	preGainDB  float64 // reached at the end of the last block
	started    bool
	floorDB    atomicFloat // measured floor, dBFS, for NoiseFloorDB
	preGainLin float32

	mix      float32 // wet share reached at the end of the last block
	strength atomicFloat
	enabled  atomic.Bool
}

// NewAudio builds the denoiser for blocks of channels planes at sampleRate
// (1 to 8 channels). It runs a short probe through afftdn to measure the
// latency.
func NewAudio(sampleRate, channels int, cfg AudioConfig) (*Audio, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	layout, err := channelLayout(channels)
	if err != nil {
		return nil, fmt.Errorf("audio denoise: %w", err)
	}
	if sampleRate < 8000 || sampleRate > 192000 {
		return nil, fmt.Errorf("audio denoise: sample rate %d: must be between 8000 and 192000", sampleRate)
	}
	a := &Audio{channels: channels, rate: sampleRate, out: astiav.AllocFrame()}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	a.layout = layout
	for i := range a.in {
		a.in[i] = astiav.AllocFrame()
		if err := a.allocInput(a.in[i], MaxBlock); err != nil {
			return nil, err
		}
	}
	delay, hop, err := probeLatency(a.in[0])
	if err != nil {
		return nil, fmt.Errorf("audio denoise: %w", err)
	}
	a.latency = delay + hop

	desc := "afftdn=nr=" + strconv.FormatFloat(MaxReductionDB, 'g', -1, 64) +
		":nf=" + strconv.FormatFloat(graphFloorDB, 'g', -1, 64)
	if a.graph, err = filters.NewAudio(desc, a.in[0], astiav.NewRational(1, sampleRate)); err != nil {
		return nil, fmt.Errorf("audio denoise: %w", err)
	}

	// The wet ring starts with one hop of silence: with it, the graph's
	// output is always at least as long as what has been asked for.
	a.wet = make([][]float32, channels)
	a.dry = make([][]float32, channels)
	for c := range a.wet {
		a.wet[c] = make([]float32, hop+MaxBlock)
		a.dry[c] = make([]float32, a.latency)
	}
	a.wetLen = hop
	a.unscale = make([]float32, a.latency)
	for i := range a.unscale {
		a.unscale[i] = 1
	}

	a.subLen = int(trackerSub * float64(sampleRate))
	for i := range a.subMin {
		a.subMin[i] = math.Inf(1)
	}
	a.curMin = math.Inf(1)
	a.preGainLin = 1
	a.floorDB.Store(math.Inf(-1))
	a.strength.Store(cfg.Strength)
	a.enabled.Store(!cfg.Disabled)
	a.mix = a.targetMix()
	ok = true
	return a, nil
}

// probeLatency measures afftdn's delay and hop for frames like f: an
// impulse through afftdn in pass-through mode (om=input, which frames and
// delays its input exactly as it does the denoised output), in blocks of
// 1024 samples. f is left as it was.
func probeLatency(f *astiav.Frame) (delay, hop int, err error) {
	in := astiav.AllocFrame()
	defer in.Free()
	in.SetNbSamples(1024)
	in.SetSampleFormat(f.SampleFormat())
	in.SetSampleRate(f.SampleRate())
	in.SetChannelLayout(f.ChannelLayout())
	if err := in.AllocBuffer(0); err != nil {
		return 0, 0, fmt.Errorf("latency probe: %w", err)
	}
	g, err := filters.NewAudio("afftdn=om=input", in, astiav.NewRational(1, f.SampleRate()))
	if err != nil {
		return 0, 0, fmt.Errorf("latency probe: %w", err)
	}
	defer g.Close()
	out := astiav.AllocFrame()
	defer out.Free()
	seen := 0
	for k := 0; seen < f.SampleRate(); k++ { // a second of output is plenty
		if err := av.MakeWritable(in); err != nil {
			return 0, 0, fmt.Errorf("latency probe: %w", err)
		}
		for c := 0; c < in.ChannelLayout().NbChannels(); c++ {
			p := av.PlanarFloat(in, c)
			clear(p)
			if k == 0 {
				p[0] = 1
			}
		}
		in.SetPts(int64(k * in.NbSamples()))
		if err := g.Push(in); err != nil {
			return 0, 0, fmt.Errorf("latency probe: push: %w", err)
		}
		for {
			err := g.Pull(out)
			if errors.Is(err, astiav.ErrEagain) {
				break
			}
			if err != nil {
				return 0, 0, fmt.Errorf("latency probe: pull: %w", err)
			}
			n := out.NbSamples()
			hop = max(hop, n)
			for i, v := range av.PlanarFloat(out, 0)[:n] {
				if v != 0 {
					out.Unref()
					return seen + i, hop, nil
				}
			}
			seen += n
			out.Unref()
		}
	}
	return 0, 0, errors.New("latency probe: the impulse never came out")
}

// channelLayout is FFmpeg's default layout for a channel count.
func channelLayout(channels int) (astiav.ChannelLayout, error) {
	switch channels {
	case 1:
		return astiav.ChannelLayoutMono, nil
	case 2:
		return astiav.ChannelLayoutStereo, nil
	case 3:
		return astiav.ChannelLayoutSurround, nil
	case 4:
		return astiav.ChannelLayoutQuad, nil
	case 5:
		return astiav.ChannelLayout5Point0Back, nil
	case 6:
		return astiav.ChannelLayout5Point1Back, nil
	case 7:
		return astiav.ChannelLayout6Point1, nil
	case 8:
		return astiav.ChannelLayout7Point1, nil
	}
	return astiav.ChannelLayout{}, fmt.Errorf("%d channels: must be between 1 and 8", channels)
}

// Latency is the constant delay of the output, in samples.
func (a *Audio) Latency() int { return a.latency }

// SetStrength sets the reduction (0..1, see AudioConfig.Strength) from any
// goroutine; it crossfades in over the next block. NaN is ignored.
func (a *Audio) SetStrength(s float64) {
	if s, ok := clamp01(s); ok {
		a.strength.Store(s)
	}
}

// Strength reports the last strength set.
func (a *Audio) Strength() float64 { return a.strength.Load() }

// SetEnabled turns the denoiser on or off from any goroutine: off is the
// input delayed by Latency, crossfaded over the next block.
func (a *Audio) SetEnabled(on bool) { a.enabled.Store(on) }

// Enabled reports the last SetEnabled (or the config's) state.
func (a *Audio) Enabled() bool { return a.enabled.Load() }

// NoiseFloorDB is the noise floor measured so far (RMS, dBFS; −Inf before
// the first block), safe from any goroutine.
func (a *Audio) NoiseFloorDB() float64 { return a.floorDB.Load() }

// targetMix is the wet share for the current strength and state.
func (a *Audio) targetMix() float32 {
	if !a.enabled.Load() {
		return 0
	}
	floor := math.Pow(10, -a.strength.Load()*MaxReductionDB/20)
	return float32((1 - floor) / (1 - math.Pow(10, -MaxReductionDB/20)))
}

// Process denoises one block in place: the output is the denoised input of
// Latency samples ago.
func (a *Audio) Process(planes [][]float32) error {
	if len(planes) != a.channels {
		return fmt.Errorf("audio denoise: block has %d channels, want %d", len(planes), a.channels)
	}
	n := len(planes[0])
	for _, p := range planes {
		if len(p) != n {
			return errors.New("audio denoise: channels differ in length")
		}
	}
	if n == 0 {
		return nil
	}
	if n > MaxBlock {
		return fmt.Errorf("audio denoise: block of %d samples: at most %d", n, MaxBlock)
	}

	g0, g1 := a.track(planes, n)

	// Into the graph, scaled.
	f, err := a.frame()
	if err != nil {
		return fmt.Errorf("audio denoise: %w", err)
	}
	f.SetNbSamples(n)
	f.SetPts(a.pts)
	a.pts += int64(n)
	step := (g1 - g0) / float32(n)
	for c, p := range planes {
		dst := av.PlanarFloat(f, c)
		for i, v := range p {
			y := v * (g0 + step*float32(i+1))
			if y-y != 0 { // NaN or ±Inf: afftdn would smear it over a whole window
				y = 0
			}
			dst[i] = y
		}
	}
	if err := a.graph.Push(f); err != nil {
		return fmt.Errorf("audio denoise: push: %w", err)
	}
	if err := a.drain(); err != nil {
		return err
	}
	if a.wetLen < n {
		// Cannot happen while afftdn hands back every complete hop (the
		// probe measured the hop); shifting the audio would be worse than
		// stopping.
		return fmt.Errorf("audio denoise: afftdn fell behind: %d samples for a block of %d", a.wetLen, n)
	}

	// Out: the dry signal of D samples ago plus m × (un-scaled wet − dry).
	m0, m1 := a.mix, a.targetMix()
	a.mix = m1
	mstep := (m1 - m0) / float32(n)
	capWet := len(a.wet[0])
	for i := 0; i < n; i++ {
		m := m0 + mstep*float32(i+1)
		if i == n-1 {
			m = m1
		}
		pos, r := a.dryPos, a.wetRead
		un := a.unscale[pos]
		a.unscale[pos] = 1 / (g0 + step*float32(i+1))
		for c, p := range planes {
			x := p[i]
			d := a.dry[c][pos]
			a.dry[c][pos] = x
			p[i] = d + m*(a.wet[c][r]*un-d)
		}
		if a.dryPos++; a.dryPos == a.latency {
			a.dryPos = 0
		}
		if a.wetRead++; a.wetRead == capWet {
			a.wetRead = 0
		}
	}
	a.wetLen -= n
	return nil
}

// frame returns an input frame the graph no longer holds.
func (a *Audio) frame() (*astiav.Frame, error) {
	for _, f := range a.in {
		if av.IsWritable(f) {
			return f, nil
		}
	}
	// All three still referenced: give one new buffers (allocates; not seen
	// with afftdn, which holds at most one partly used frame). Not
	// av_frame_make_writable: it would size them for the last block only.
	f := a.in[0]
	f.Unref()
	return f, a.allocInput(f, MaxBlock)
}

// allocInput gives f buffers for n samples in the graph's input format.
func (a *Audio) allocInput(f *astiav.Frame, n int) error {
	f.SetNbSamples(n)
	f.SetSampleFormat(astiav.SampleFormatFltp)
	f.SetSampleRate(a.rate)
	f.SetChannelLayout(a.layout)
	if err := f.AllocBuffer(0); err != nil {
		return fmt.Errorf("audio denoise: frame: %w", err)
	}
	return nil
}

// drain moves everything the graph has ready into the wet ring.
func (a *Audio) drain() error {
	capWet := len(a.wet[0])
	for {
		err := a.graph.Pull(a.out)
		if errors.Is(err, astiav.ErrEagain) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("audio denoise: pull: %w", err)
		}
		k := a.out.NbSamples()
		if a.wetLen+k > capWet {
			a.out.Unref()
			return fmt.Errorf("audio denoise: afftdn gave %d samples more than it was given", a.wetLen+k-capWet)
		}
		w := a.wetRead + a.wetLen
		if w >= capWet {
			w -= capWet
		}
		for c := range a.wet {
			src := av.PlanarFloat(a.out, c)[:k]
			if tail := capWet - w; tail < k {
				copy(a.wet[c][w:], src[:tail])
				copy(a.wet[c], src[tail:])
			} else {
				copy(a.wet[c][w:], src)
			}
		}
		a.wetLen += k
		a.out.Unref()
	}
}

// track measures the block's level, updates the noise floor and returns
// the input scaling at the block's start and end (linear).
func (a *Audio) track(planes [][]float32, n int) (g0, g1 float32) {
	var sum float64
	for _, p := range planes {
		for _, v := range p {
			sum += float64(v) * float64(v)
		}
	}
	e := sum / float64(n*len(planes))
	if !(e > silentEnergy) {
		// NaN, or digital silence (a device starting late, a gap filled
		// with zeros): neither says anything about the noise, and taking
		// silence for the floor would scale the next seconds up by 40 dB,
		// turning the denoiser off until the floor had climbed back.
		e = math.Inf(1)
	}
	a.curMin = min(a.curMin, e)
	if a.curCount += n; a.curCount >= a.subLen {
		a.subMin[a.subNext] = a.curMin
		a.subNext = (a.subNext + 1) % trackerSubs
		a.curMin, a.curCount = math.Inf(1), 0
	}
	floor := a.curMin
	for _, v := range a.subMin {
		floor = min(floor, v)
	}
	if math.IsInf(floor, 1) { // nothing measured yet: no scaling
		return a.preGainLin, a.preGainLin
	}
	floorDB := 10 * math.Log10(floor)
	a.floorDB.Store(floorDB)

	want := graphFloorDB - floorOffsetDB - floorDB
	want = min(max(want, -preGainLimitDB), preGainLimitDB)
	if math.IsNaN(want) {
		want = a.preGainDB
	}
	prev := a.preGainLin
	if !a.started {
		a.started = true
		a.preGainDB = want
		a.preGainLin = float32(math.Pow(10, want/20))
		return a.preGainLin, a.preGainLin
	}
	sec := float64(n) / float64(a.rate)
	next := min(max(want, a.preGainDB-fallDBPerSec*sec), a.preGainDB+riseDBPerSec*sec)
	if next != a.preGainDB {
		a.preGainDB = next
		a.preGainLin = float32(math.Pow(10, next/20))
	}
	return prev, a.preGainLin
}

// Close frees the filter graph and the frames.
func (a *Audio) Close() {
	if a.graph != nil {
		a.graph.Close()
		a.graph = nil
	}
	for i, f := range a.in {
		if f != nil {
			f.Free()
			a.in[i] = nil
		}
	}
	if a.out != nil {
		a.out.Free()
		a.out = nil
	}
}
