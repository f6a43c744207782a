package audiomix

import "math"

// limiter is one bus's soft limiter (see the package doc for the law).
// It keeps the gain g = T/e rather than the envelope e: the release step
// e·a is then g/a, a multiplication instead of a division per sample, and
// the attack test p > e·a is p·g > T, which the applied gain meets by
// construction (so x·g cannot round past T).
type limiter struct {
	// gain is T/e, the gain applied to the last sample: 1 while idle
	// (e at or under T), down to gainMin.
	gain float32
}

// Limiter constants, at SampleRate.
var (
	thr = float32(math.Pow(10, ThresholdDB/20)) // the threshold, linear
	// rise is the gain's per-sample release factor, 1/a = exp(1/(τ·rate)).
	rise = float32(math.Exp(1 / (Release.Seconds() * SampleRate)))
	// gainMin caps the envelope at envCap.
	gainMin = thr / envCap
)

// envCap bounds the envelope (+42 dBFS), so that a burst of garbage (a
// decoder's 1e30, ±Inf) ducks the bus for at most ln(128/T)·τ ≈ 0.5 s
// instead of seconds or for ever; the soft clip takes the rest.
const envCap = 128

// signBit is a float32's sign; thrBits is thr as bits.
const signBit = 1 << 31

var thrBits = math.Float32bits(thr)

// idle reports whether the limiter is at unity gain.
func (l *limiter) idle() bool { return l.gain == 1 }

// reset puts the limiter at unity gain.
func (l *limiter) reset() { l.gain = 1 }

// mono limits x in place.
func (l *limiter) mono(x []float32) {
	g := l.gain
	for j, v := range x {
		u := math.Float32bits(v) &^ signBit
		if g == 1 && u <= thrBits {
			continue // idle: the sample passes untouched
		}
		p := math.Float32frombits(u)
		if g *= rise; g > 1 {
			g = 1
		}
		q := p * g
		if q > thr { // attack (false for NaN)
			if g = thr / p; !(g >= gainMin) {
				g = gainMin // and 0 for +Inf
			}
			q = p * g
		}
		if v *= g; !(q <= thr) { // see stereo
			v = soft(v)
		}
		x[j] = v
	}
	l.gain = g
}

// stereo limits the planes left and right (same length) in place, with
// one gain for both so the image does not move.
func (l *limiter) stereo(left, right []float32) {
	right = right[:len(left)]
	g := l.gain
	for j, a := range left {
		b := right[j]
		// |a| and |b| as bits: for floats of one sign they order as
		// the values do, and NaN above all.
		u := max(math.Float32bits(a)&^signBit, math.Float32bits(b)&^signBit)
		if g == 1 && u <= thrBits {
			continue
		}
		p := math.Float32frombits(u) // the peak (NaN if either is)
		if g *= rise; g > 1 {
			g = 1
		}
		q := p * g
		if q > thr { // attack (false for NaN)
			if g = thr / p; !(g >= gainMin) {
				g = gainMin // and 0 for +Inf
			}
			q = p * g
		}
		a *= g
		b *= g
		// |a·g| and |b·g| are at most q (rounding is monotonic): only
		// when q is over T (rounding at an attack, the cap, ±Inf, NaN)
		// need they go through the clip.
		if !(q <= thr) {
			a, b = soft(a), soft(b)
		}
		left[j], right[j] = a, b
	}
	l.gain = g
}

// soft is the final clip for a sample above the threshold: a tanh knee
// from thr (slope 1, so the join is smooth) towards 1, which it never
// exceeds; ±Inf gives ±1, NaN gives 0. It keeps the sign.
func soft(v float32) float32 {
	if v != v {
		return 0
	}
	a := float64(abs32(v))
	if a <= float64(thr) {
		return v
	}
	t := float64(thr)
	y := float32(t + (1-t)*math.Tanh((a-t)/(1-t)))
	y = min(y, 1)
	if v < 0 {
		return -y
	}
	return y
}

// abs32 is |v| without a detour through float64.
func abs32(v float32) float32 {
	return math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
}
