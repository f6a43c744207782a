package dynamics

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// GateConfig sets a Gate. Levels are sample peaks in dBFS (the largest
// |sample| across channels), not RMS, as in OBS.
type GateConfig struct {
	// OpenThresholdDB: the gate opens at the first sample whose peak
	// exceeds it. Default −26.
	OpenThresholdDB float64
	// CloseThresholdDB: the gate closes once the decaying peak envelope
	// falls below it (see Gate). At most OpenThresholdDB; levels between
	// the two keep the gate as it is (hysteresis). Default −32.
	CloseThresholdDB float64
	// Attack is the time the gain takes to rise linearly from 0 to 1 once
	// open. Default 25 ms.
	Attack time.Duration
	// Hold is how long the gain stays where it is after closing before the
	// release starts. Default 200 ms.
	Hold time.Duration
	// Release is the time the gain takes to fall linearly from 1 to 0
	// after the hold. Default 150 ms.
	Release time.Duration
	// Disabled makes the gate start bypassed (its detector runs anyway).
	Disabled bool
}

// DefaultGateConfig returns OBS's noise gate defaults: open −26 dB, close
// −32 dB, attack 25 ms, hold 200 ms, release 150 ms, enabled.
func DefaultGateConfig() GateConfig {
	return GateConfig{
		OpenThresholdDB:  -26,
		CloseThresholdDB: -32,
		Attack:           25 * time.Millisecond,
		Hold:             200 * time.Millisecond,
		Release:          150 * time.Millisecond,
	}
}

// Validate reports the first setting a Gate cannot use.
func (c GateConfig) Validate() error {
	const maxTime = 10 * time.Second
	switch {
	case !(c.OpenThresholdDB >= -96 && c.OpenThresholdDB <= 0):
		return fmt.Errorf("gate: open threshold %g dB: must be between -96 and 0", c.OpenThresholdDB)
	case !(c.CloseThresholdDB >= -96 && c.CloseThresholdDB <= 0):
		return fmt.Errorf("gate: close threshold %g dB: must be between -96 and 0", c.CloseThresholdDB)
	case c.CloseThresholdDB > c.OpenThresholdDB:
		return fmt.Errorf("gate: close threshold %g dB is above the open threshold %g dB", c.CloseThresholdDB, c.OpenThresholdDB)
	case c.Attack < 0 || c.Attack > maxTime:
		return fmt.Errorf("gate: attack %v: must be between 0 and %v", c.Attack, maxTime)
	case c.Hold < 0 || c.Hold > maxTime:
		return fmt.Errorf("gate: hold %v: must be between 0 and %v", c.Hold, maxTime)
	case c.Release < 0 || c.Release > maxTime:
		return fmt.Errorf("gate: release %v: must be between 0 and %v", c.Release, maxTime)
	}
	return nil
}

// Gate is a noise gate that follows OBS's noise-gate-filter.c sample for
// sample (one sample earlier on opening, see below). Per sample n:
//
//   - peak p = max over channels of |x[n]|.
//   - Opens: at the first sample with p > open threshold while closed. The
//     gain then rises linearly by 1/Attack per second (full after Attack).
//   - Envelope: env = max(env, p) − decay, decay = (open − close
//     threshold, linear) × 75 / sampleRate per sample: a peak exactly at the
//     open threshold decays to the close threshold in 1/75 s, and a peak
//     of amplitude A reaches it after (A − close)/decay samples — louder
//     sounds take longer to be let go, as in OBS.
//   - Closes: at the first sample at which env < close threshold while
//     open. The gain stays where it is for Hold, then falls linearly by
//     1/Release per second (silent after Hold + Release). Reopening at any
//     time restarts the attack ramp from the current gain.
//
// So for a tone burst of peak A starting at s and ending at e (its last
// peak) between stretches below the close threshold, the gain starts
// rising at s (plus the time the tone takes to cross the open threshold),
// is 1 at s + Attack, starts falling at e + (A−close)/decay + Hold and is 0
// Release later.
//
// OBS updates the envelope after the close check, so the first loud sample
// opens and closes it again and the gate really opens one sample later;
// this gate updates the envelope first.
//
// The gain is applied to every channel alike. The gate has no latency.
type Gate struct {
	channels int
	open, close, decay,
	attackStep, releaseStep float64
	holdSamples int

	isOpen bool
	env    float64 // decaying peak envelope
	gain   float64 // current gain 0..1
	held   int     // samples spent closed since the close moment (saturates)

	state atomic.Bool // isOpen as of the last block, for meters
	by    bypass
}

// NewGate makes a gate for blocks of channels planes at sampleRate.
func NewGate(sampleRate, channels int, cfg GateConfig) (*Gate, error) {
	if err := checkFormat(sampleRate, channels); err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sr := float64(sampleRate)
	g := &Gate{
		channels:    channels,
		open:        dbToLin(cfg.OpenThresholdDB),
		close:       dbToLin(cfg.CloseThresholdDB),
		attackStep:  1 / (cfg.Attack.Seconds() * sr), // +Inf for 0: instant
		releaseStep: 1 / (cfg.Release.Seconds() * sr),
		holdSamples: samples(cfg.Hold, sampleRate),
	}
	g.decay = (g.open - g.close) * 75 / sr
	g.by.init(!cfg.Disabled, sampleRate)
	return g, nil
}

// Process gates one block in place. While bypassed the detector keeps
// running, so enabling lands on the state the gate would have had.
func (g *Gate) Process(planes [][]float32) error {
	n, err := checkBlock(planes, g.channels)
	if err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	target := g.by.target()
	for i := 0; i < n; i++ {
		p := float32(0)
		for _, ch := range planes {
			if a := abs32(ch[i]); a > p { // not max(): a NaN sample must not stick in env
				p = a
			}
		}
		peak := float64(p)
		if !g.isOpen && peak > g.open {
			g.isOpen = true
		}
		g.env = max(g.env, peak) - g.decay
		if g.isOpen && g.env < g.close {
			g.isOpen = false
			g.held = 0
		}
		if g.isOpen {
			g.gain = min(1, g.gain+g.attackStep)
		} else {
			if g.held <= g.holdSamples {
				g.held++
			}
			if g.held > g.holdSamples {
				g.gain = max(0, g.gain-g.releaseStep)
			}
		}
		wet := g.by.next(target)
		k := float32(g.gain)
		if wet != 1 {
			k = 1 + wet*(k-1)
		}
		if k != 1 {
			for _, ch := range planes {
				ch[i] *= k
			}
		}
	}
	g.state.Store(g.isOpen)
	return nil
}

// IsOpen reports whether the gate was open at the end of the last block
// (for meters; safe from any goroutine).
func (g *Gate) IsOpen() bool { return g.state.Load() }

// SetEnabled turns the gate on or off from any goroutine; the change is a
// 20 ms ramp between gated and dry.
func (g *Gate) SetEnabled(on bool) { g.by.enabled.Store(on) }

// Enabled reports the last SetEnabled (or the config's) state.
func (g *Gate) Enabled() bool { return g.by.enabled.Load() }

// Close releases nothing (the gate owns no FFmpeg objects); it is there
// for filters.Audio.
func (g *Gate) Close() {}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
