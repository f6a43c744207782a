// Package dynamics owns the level-driven audio stages of a channel strip:
// a noise gate (OBS's, sample for sample), a peak limiter that guarantees
// its ceiling, and a plain gain. Each is a filters.Audio working in place
// on planar float blocks, allocates nothing per block, takes live control
// (on/off, gain) from any goroutine through atomics, and bypasses with a
// short ramp instead of a jump, so toggling never clicks. None of them
// changes its latency when bypassed.
package dynamics

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// toggleRamp is how long a stage takes to go from processed to dry (or
// back) when SetEnabled changes it: long enough that the change is a fade
// rather than a step (a step in gain is a click), short enough to feel
// instant.
const toggleRamp = 20 * time.Millisecond

// errShape is what a block with the wrong channel count wraps.
var errShape = errors.New("block has the wrong number of channels")

// checkBlock verifies that planes has the channel count a stage was made for
// and that every channel has the same length, which it returns.
func checkBlock(planes [][]float32, channels int) (int, error) {
	if len(planes) != channels {
		return 0, fmt.Errorf("%w: %d, want %d", errShape, len(planes), channels)
	}
	n := len(planes[0])
	for _, p := range planes[1:] {
		if len(p) != n {
			return 0, fmt.Errorf("channels differ in length: %d and %d", n, len(p))
		}
	}
	return n, nil
}

// checkFormat validates the sample rate and channel count every stage is
// made for.
func checkFormat(sampleRate, channels int) error {
	if sampleRate < 8000 || sampleRate > 384000 {
		return fmt.Errorf("sample rate %d: must be between 8000 and 384000", sampleRate)
	}
	if channels < 1 || channels > 64 {
		return fmt.Errorf("channels %d: must be between 1 and 64", channels)
	}
	return nil
}

// dbToLin converts decibels to a linear amplitude factor.
func dbToLin(db float64) float64 { return math.Pow(10, db/20) }

// samples converts a duration to a whole number of samples at rate.
func samples(d time.Duration, rate int) int {
	return int(math.Round(d.Seconds() * float64(rate)))
}

// bypass is the shared on/off state of a stage: the flag the setters
// write, and the wet amount the processing goroutine ramps towards it one
// sample at a time (1 processed, 0 dry).
type bypass struct {
	enabled atomic.Bool
	wet     float32 // processing goroutine only
	step    float32 // change of wet per sample during a toggle
}

func (b *bypass) init(enabled bool, sampleRate int) {
	b.enabled.Store(enabled)
	if enabled {
		b.wet = 1
	}
	b.step = float32(1 / (toggleRamp.Seconds() * float64(sampleRate)))
}

// target is the wet amount to ramp to in this block.
func (b *bypass) target() float32 {
	if b.enabled.Load() {
		return 1
	}
	return 0
}

// next moves wet one sample towards t and returns it.
func (b *bypass) next(t float32) float32 {
	switch {
	case b.wet < t:
		b.wet = min(t, b.wet+b.step)
	case b.wet > t:
		b.wet = max(t, b.wet-b.step)
	}
	return b.wet
}
