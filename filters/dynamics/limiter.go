package dynamics

import (
	"fmt"
	"math"
	"time"
)

// LimiterConfig sets a Limiter.
type LimiterConfig struct {
	// CeilingDB is the highest |sample| let out, in dBFS, −30..0. Default −1.
	CeilingDB float64
	// Release is the time constant of the exponential gain recovery after
	// a peak. Default 60 ms (OBS's limiter default).
	Release time.Duration
	// Lookahead is how far ahead the limiter sees peaks, and so its
	// latency and the length of its gain ramp down, 0..20 ms. Default 1 ms
	// (48 samples at 48 kHz). 0 gives a zero-latency limiter whose attack is
	// instant: the gain drops within the sample that needs it, which
	// clips the waveform's shape on every transient.
	Lookahead time.Duration
	// Disabled makes the limiter start bypassed (delayed by its latency,
	// unchanged).
	Disabled bool
}

// DefaultLimiterConfig returns a −1 dBFS ceiling, 60 ms release and 1 ms
// lookahead, enabled.
func DefaultLimiterConfig() LimiterConfig {
	return LimiterConfig{CeilingDB: -1, Release: 60 * time.Millisecond, Lookahead: time.Millisecond}
}

// Validate reports the first setting a Limiter cannot use.
func (c LimiterConfig) Validate() error {
	switch {
	case !(c.CeilingDB >= -30 && c.CeilingDB <= 0):
		return fmt.Errorf("limiter: ceiling %g dB: must be between -30 and 0", c.CeilingDB)
	case c.Release < time.Millisecond || c.Release > 5*time.Second:
		return fmt.Errorf("limiter: release %v: must be between 1ms and 5s", c.Release)
	case c.Lookahead < 0 || c.Lookahead > 20*time.Millisecond:
		return fmt.Errorf("limiter: lookahead %v: must be between 0 and 20ms", c.Lookahead)
	}
	return nil
}

// Limiter is a stereo-linked lookahead peak limiter that lets no sample out
// above its ceiling, whatever comes in (full-scale squares, single-sample
// spikes, ±Inf; NaN comes out as 0) while enabled.
//
// How it keeps the promise with a smooth gain: every sample needs the gain
// r = min(1, ceiling/peak), peak being its largest |value| across channels.
// The limiter delays the audio by L = Lookahead samples and, over a window
// of W = L+1 samples, takes (1) h, the minimum r of the last W samples,
// (2) e, h with an exponential release (e falls to h at once, rises towards
// it with the Release time constant, so e ≤ h), and (3) the mean of the
// last W values of e, which is the gain applied to the sample that entered
// W−1 samples ago. Each of those W values of e is at most the r of that
// sample (its window covers it), so neither is their mean: the ceiling
// holds exactly, and the gain falls as a straight ramp over the L samples
// before a peak instead of a step at it. A final clamp only absorbs float
// rounding.
//
// Latency is L samples, enabled or bypassed. The default 1 ms costs
// nothing a viewer could notice (an AAC frame is 21 ms) and turns the
// attack from a step (audible as distortion on every drum hit) into a
// 1 ms fade; Lookahead 0 gives the zero-latency variant.
type Limiter struct {
	channels int
	ceil     float64 // ceiling, linear
	ceil32   float32 // largest float32 not above ceil, for the final clamp
	relCoef  float64 // per-sample release factor, exp(−1/(Release·rate))
	look     int     // L, the lookahead and latency in samples
	w        int     // W = L+1, the window length

	delay [][]float32 // per channel, L samples (nil when L = 0)
	dpos  int

	// Sliding minimum of r over the last W samples: a monotonic deque of
	// (value, sample index), ring-buffered in W slots.
	qv   []float64
	qi   []int64
	qh   int // index of the front
	qn   int // number in the deque
	tick int64

	env  float64   // e, the released gain
	ring []float64 // the last W values of e
	rpos int
	sum  float64 // their sum

	// overshoots counts finite samples the final clamp cut by more than
	// float rounding: the gain alone should never let one through (tests
	// read it). ±Inf in gives ±ceiling out through the clamp.
	overshoots int

	by bypass
}

// NewLimiter makes a limiter for blocks of channels planes at sampleRate.
func NewLimiter(sampleRate, channels int, cfg LimiterConfig) (*Limiter, error) {
	if err := checkFormat(sampleRate, channels); err != nil {
		return nil, fmt.Errorf("limiter: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Limiter{
		channels: channels,
		ceil:     dbToLin(cfg.CeilingDB),
		relCoef:  math.Exp(-1 / (cfg.Release.Seconds() * float64(sampleRate))),
		look:     samples(cfg.Lookahead, sampleRate),
		env:      1,
	}
	l.ceil32 = float32(l.ceil)
	if float64(l.ceil32) > l.ceil {
		l.ceil32 = math.Nextafter32(l.ceil32, 0)
	}
	l.w = l.look + 1
	if l.look > 0 {
		l.delay = make([][]float32, channels)
		for c := range l.delay {
			l.delay[c] = make([]float32, l.look)
		}
	}
	l.qv = make([]float64, l.w)
	l.qi = make([]int64, l.w)
	l.ring = make([]float64, l.w)
	for i := range l.ring {
		l.ring[i] = 1
	}
	l.by.init(!cfg.Disabled, sampleRate)
	return l, nil
}

// Latency is the delay the limiter adds, in samples, on or off.
func (l *Limiter) Latency() int { return l.look }

// SetEnabled turns the limiter on or off from any goroutine; the change is
// a 20 ms ramp between limited and dry (delayed alike, so nothing shifts).
// While off, samples above the ceiling pass.
func (l *Limiter) SetEnabled(on bool) { l.by.enabled.Store(on) }

// Enabled reports the last SetEnabled (or the config's) state.
func (l *Limiter) Enabled() bool { return l.by.enabled.Load() }

// Process limits one block in place (delayed by Latency samples).
func (l *Limiter) Process(planes [][]float32) error {
	n, err := checkBlock(planes, l.channels)
	if err != nil {
		return fmt.Errorf("limiter: %w", err)
	}
	// Re-add the window from scratch once a block, so the running sum's
	// rounding cannot drift over hours.
	l.sum = 0
	for _, v := range l.ring {
		l.sum += v
	}
	target := l.by.target()
	clamp := target == 1
	w := float64(l.w)
	for i := 0; i < n; i++ {
		// The gain this sample needs.
		p := float32(0)
		for _, ch := range planes {
			if a := abs32(ch[i]); a > p { // skips NaN
				p = a
			}
		}
		r := 1.0
		if float64(p) > l.ceil {
			r = l.ceil / float64(p)
		}
		// Sliding minimum over the last W samples.
		// Drop the front once it leaves the window, before pushing, so the
		// W slots always suffice.
		if l.qn > 0 && l.qi[l.qh] <= l.tick-int64(l.w) {
			l.qh = l.wrap(l.qh + 1)
			l.qn--
		}
		for l.qn > 0 {
			if l.qv[l.wrap(l.qh+l.qn-1)] < r {
				break
			}
			l.qn--
		}
		back := l.wrap(l.qh + l.qn)
		l.qv[back], l.qi[back] = r, l.tick
		l.qn++
		h := l.qv[l.qh]
		l.tick++
		// Release: fall at once, recover exponentially (never above h).
		if h <= l.env {
			l.env = h
		} else {
			l.env = h - (h-l.env)*l.relCoef
		}
		// Mean of the last W released gains.
		l.sum += l.env - l.ring[l.rpos]
		l.ring[l.rpos] = l.env
		if l.rpos++; l.rpos == l.w {
			l.rpos = 0
		}
		g := float32(l.sum / w)
		if wet := l.by.next(target); wet != 1 {
			g = 1 + wet*(g-1)
		}
		for c, ch := range planes {
			x := ch[i]
			if l.look > 0 {
				d := l.delay[c]
				x, d[l.dpos] = d[l.dpos], x
			}
			y := x * g
			if clamp {
				switch {
				case y > l.ceil32:
					if y > l.ceil32*(1+1e-6) && !math.IsInf(float64(x), 0) {
						l.overshoots++
					}
					y = l.ceil32
				case y < -l.ceil32:
					if y < -l.ceil32*(1+1e-6) && !math.IsInf(float64(x), 0) {
						l.overshoots++
					}
					y = -l.ceil32
				case y != y: // NaN, or ±Inf × 0
					y = 0
				}
			}
			ch[i] = y
		}
		if l.look > 0 {
			if l.dpos++; l.dpos == l.look {
				l.dpos = 0
			}
		}
	}
	return nil
}

// wrap maps i (0 ≤ i < 2W) into the deque's W slots without a division.
func (l *Limiter) wrap(i int) int {
	if i >= l.w {
		i -= l.w
	}
	return i
}

// Close releases nothing; it is there for filters.Audio.
func (l *Limiter) Close() {}
