// Package audiomix owns the program's audio mixer: it sums the sources'
// blocks into the master bus, which viewers hear, and into mix-minus
// buses, one per guest, each the mix of every source but that guest's own
// (N−1), so that no guest hears themselves come back. Every bus goes
// through its own soft limiter. It works on planar float32 blocks (one
// slice per channel, full scale ±1.0, 1 or 2 channels, nominally 1024
// samples at 48 kHz: the AAC frame) and allocates nothing per block.
//
// # Sum
//
// A source's contribution to channel c is x·Gain·pan(c), with the balance
// law pan(left) = min(1, 1−Pan), pan(right) = min(1, 1+Pan): unity at the
// centre, so a centred source passes bit-exactly, and the far side
// exactly silent at ±1. A mono mixer ignores Pan; a mono source in a
// stereo mixer feeds both channels. Sources with zero gain on a channel
// (muted, or panned away) and absent sources (nil Samples) are skipped:
// they contribute exactly nothing, NaN included.
//
// Sums are taken in float64 and rounded to float32 once, per bus. The
// full sum S is computed once per sample; each mix-minus bus i is then
// S − contribution(i). Each contribution rounds at 2⁻⁵³ at most (not at
// all at the centre: a float32 times a float32 is exact in float64), and
// so do the sums, relative to the loudest term; S − contribution(i) thus
// equals the direct sum of the others to far less than a float32 step:
// the excluded source cancels to nothing (its trace is the float64
// rounding, ~−300 dBFS at full scale), not to a residue. Where the
// subtraction could not be trusted (a sum that is not finite, because a
// source sent Inf or NaN, or beyond ±2²⁰ = +120 dBFS, no real signal,
// past which that rounding grows from −193 dBFS towards the audible),
// that stretch of every mix-minus bus is summed directly instead, so a
// broken guest cannot silence or spoil their own return. Two sources at
// unity gain, under the threshold, come out as exactly their float32 sum.
//
// # Limiter
//
// Each bus (master and each mix-minus) has its own limiter, state kept
// across calls; stereo buses are linked (one gain for both channels, so
// the image does not move). It has no lookahead and so no latency. Per
// sample n, with p the largest |sample| across the channels and T the
// threshold (ThresholdDB, −1 dBFS = 0.8913):
//
//	e[n] = min(max(p, a·e[n−1]), 128)   a = exp(−1/(Release·SampleRate))
//	g[n] = T/e[n] if e[n] > T, else 1 (exactly)
//	y    = clip(x·g[n])
//
// The envelope e attacks instantly (it takes the peak within the sample
// that brings it), so x·g never exceeds T, and releases exponentially
// with the time constant Release (100 ms): the gain recovers by 8.7 dB per
// 100 ms and is back at exactly 1 within ln(peak/T)·100 ms of the last
// peak (81 ms after a +6 dBFS peak). The gain changes per sample,
// never per block. A sine held above T comes out with its peaks at T;
// anything at or below T passes bit-exactly (x·1, no rounding).
//
// clip is a safety net that only rounding, the envelope's cap (+42 dBFS)
// and ±Inf reach: identity up to T, then a tanh knee
// T + (1−T)·tanh((|x|−T)/(1−T)) that joins with slope 1 and tends to 1,
// so nothing leaves a bus above ±1.0, wraps or changes sign; ±Inf gives
// ±1.0 and NaN gives 0.
package audiomix

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// The mixer's fixed format and its limiters' law (see the package doc).
const (
	// SampleRate is the rate the limiters' release is timed for.
	SampleRate = 48000
	// ThresholdDB is where the limiters start to act, in dBFS.
	ThresholdDB = -1.0
	// Release is the limiters' release time constant.
	Release = 100 * time.Millisecond
)

// chunk is how many samples the mixer works through at a time: its
// float64 scratch is this long, whatever the block size, so any block
// size runs without allocating (and the scratch stays in L1).
const chunk = 256

// maxExact bounds |S| for the mix-minus subtraction (+120 dBFS): there
// S's float64 rounding is 2⁻³² (−193 dBFS) and grows with it; beyond, the
// mix-minus buses are summed directly.
const maxExact = 1 << 20

var maxExactBits = math.Float64bits(maxExact)

// Input is one source's block for one Mix call.
type Input struct {
	// Samples is planar: one slice per channel (or one, fed to every
	// channel), all of the block's length; nil means absent (contributes
	// nothing). A source of another shape is skipped and counted (Skipped).
	Samples [][]float32
	// Gain is a linear amplitude factor (0 = muted, negative inverts the
	// polarity); the caller converts dB and mute. A gain that is not
	// finite counts as 0.
	Gain float32
	// Pan is −1 (left) .. 0 (centre) .. +1 (right), clamped to that range
	// (NaN is centre); balance law: left × min(1, 1−Pan), right ×
	// min(1, 1+Pan). Ignored for a mono mixer.
	Pan float32
}

// Mixer sums up to a fixed number of inputs into a master bus and their
// mix-minus buses, each through its own limiter. Mix and Reset belong to
// one goroutine (the program's audio clock); Skipped may be read from any.
type Mixer struct {
	channels int
	inputs   int

	// Per input i and channel c (index i·channels+c), for the Mix call
	// under way: the plane feeding it and the gain it gets; nil where the
	// input contributes nothing to that channel.
	src  [][]float32
	gain []float64

	acc    []float64 // S, chunk samples per channel
	direct []float64 // a mix-minus bus summed directly, chunk samples

	bus []limiter // [0] master, [1+i] minus[i]

	skipped atomic.Uint64
}

// New makes a mixer of channels (1 or 2) for up to inputs sources (and so
// up to inputs mix-minus buses). It panics on other values, which are
// programming errors.
func New(channels, inputs int) *Mixer {
	if channels != 1 && channels != 2 {
		panic(fmt.Sprintf("audiomix: %d channels: must be 1 or 2", channels))
	}
	if inputs < 0 {
		panic(fmt.Sprintf("audiomix: %d inputs: must be at least 0", inputs))
	}
	m := &Mixer{
		channels: channels,
		inputs:   inputs,
		src:      make([][]float32, inputs*channels),
		gain:     make([]float64, inputs*channels),
		acc:      make([]float64, channels*chunk),
		direct:   make([]float64, chunk),
		bus:      make([]limiter, 1+inputs),
	}
	m.Reset()
	return m
}

// Channels is the channel count the mixer was made for.
func (m *Mixer) Channels() int { return m.channels }

// Inputs is the most inputs (and mix-minus buses) a Mix call may pass.
func (m *Mixer) Inputs() int { return m.inputs }

// Skipped counts the input blocks Mix has ignored for their shape (a
// channel count other than 1 or Channels, or a plane whose length is not
// the block's): a bug upstream, which costs that source its sound rather
// than the broadcast.
func (m *Mixer) Skipped() uint64 { return m.skipped.Load() }

// Reset clears the limiters' states (every bus back at unity gain).
func (m *Mixer) Reset() {
	for i := range m.bus {
		m.bus[i].reset()
	}
}

// Mix sums the inputs into master (planar, len Channels, each plane the
// block's length); then, for every i with minus[i] != nil, writes the mix
// of all inputs except input i into minus[i] (shaped as master). Every bus
// goes through its own limiter. len(in) and len(minus) are at most
// Inputs; a minus[i] beyond len(in) gets the full mix (input i is
// absent). No bus may share memory with another bus or with an input. It
// panics on a master or minus bus of the wrong shape, and allocates
// nothing.
func (m *Mixer) Mix(in []Input, master [][]float32, minus [][][]float32) {
	n := m.check(in, master, minus)
	m.prepare(in, n)
	for off := 0; off < n; off += chunk {
		end := min(off+chunk, n)
		exact := m.sum(off, end)
		for i, bus := range minus {
			if bus == nil {
				continue
			}
			for c := range m.channels {
				out := bus[c][off:end]
				switch {
				case !exact:
					m.sumExcept(out, i, c, off)
				case m.src[i*m.channels+c] != nil:
					subtract(out, m.acc[c*chunk:], m.src[i*m.channels+c][off:end], m.gain[i*m.channels+c])
				default:
					round(out, m.acc[c*chunk:])
				}
			}
			m.limit(&m.bus[1+i], bus, off, end)
		}
		for c := range m.channels {
			round(master[c][off:end], m.acc[c*chunk:])
		}
		m.limit(&m.bus[0], master, off, end)
	}
	clear(m.src) // hold no caller's buffer past the call
}

// check validates the buses' shapes and returns the block length.
func (m *Mixer) check(in []Input, master [][]float32, minus [][][]float32) int {
	if len(in) > m.inputs {
		panic(fmt.Sprintf("audiomix: %d inputs for a mixer of %d", len(in), m.inputs))
	}
	if len(minus) > m.inputs {
		panic(fmt.Sprintf("audiomix: %d mix-minus buses for a mixer of %d", len(minus), m.inputs))
	}
	if len(master) != m.channels {
		panic(fmt.Sprintf("audiomix: master has %d channels, want %d", len(master), m.channels))
	}
	n := len(master[0])
	for c, p := range master {
		if len(p) != n {
			panic(fmt.Sprintf("audiomix: master channel %d has %d samples, channel 0 %d", c, len(p), n))
		}
	}
	for i, bus := range minus {
		if bus == nil {
			continue
		}
		if len(bus) != m.channels {
			panic(fmt.Sprintf("audiomix: minus[%d] has %d channels, want %d", i, len(bus), m.channels))
		}
		for c, p := range bus {
			if len(p) != n {
				panic(fmt.Sprintf("audiomix: minus[%d] channel %d has %d samples, master %d", i, c, len(p), n))
			}
		}
	}
	return n
}

// prepare fills src and gain for this call's inputs.
func (m *Mixer) prepare(in []Input, n int) {
	for i, inp := range in {
		if inp.Samples == nil {
			continue
		}
		if !m.shaped(inp.Samples, n) {
			m.skipped.Add(1)
			continue
		}
		g := float64(inp.Gain)
		if math.IsNaN(g) || math.IsInf(g, 0) {
			g = 0
		}
		for c := range m.channels {
			gc := g
			if m.channels == 2 {
				gc *= float64(balance(inp.Pan, c))
			}
			if gc == 0 {
				continue
			}
			k := i*m.channels + c
			m.src[k] = inp.Samples[min(c, len(inp.Samples)-1)]
			m.gain[k] = gc
		}
	}
}

// shaped reports whether an input's planes fit the mixer and the block.
func (m *Mixer) shaped(planes [][]float32, n int) bool {
	if len(planes) != 1 && len(planes) != m.channels {
		return false
	}
	for _, p := range planes {
		if len(p) != n {
			return false
		}
	}
	return true
}

// balance is the pan law's factor for channel c (0 left, 1 right).
func balance(pan float32, c int) float32 {
	if pan != pan {
		return 1
	}
	pan = max(-1, min(1, pan))
	if c == 0 {
		return min(1, 1-pan)
	}
	return min(1, 1+pan)
}

// sum computes S for samples off..end of every channel into acc and
// reports whether the mix-minus buses may be taken from it by subtraction
// (every |S| finite and within maxExact).
func (m *Mixer) sum(off, end int) bool {
	exact := true
	for c := range m.channels {
		acc := m.acc[c*chunk : c*chunk+end-off]
		// Two inputs a pass (S = ((c₀+c₁) + (c₂+c₃)) + …): half the
		// loads and stores of acc.
		first := true
		var held []float32 // an input waiting for its pair
		var heldGain float64
		for k := c; k < len(m.src); k += m.channels {
			x := m.src[k]
			switch {
			case x == nil:
			case held == nil:
				held, heldGain = x[off:end], m.gain[k]
			case first:
				scale2(acc, held, heldGain, x[off:end], m.gain[k])
				held, first = nil, false
			default:
				addScaled2(acc, held, heldGain, x[off:end], m.gain[k])
				held = nil
			}
		}
		switch {
		case held != nil && first:
			scale(acc, held, heldGain)
		case held != nil:
			addScaled(acc, held, heldGain)
		case first:
			clear(acc)
		}
		if exact {
			exact = bounded(acc)
		}
	}
	return exact
}

// sumExcept writes the direct sum of every input but i, channel c, into
// out (samples off.. of the block): the path for a stretch whose S
// cannot be trusted.
func (m *Mixer) sumExcept(out []float32, i, c, off int) {
	acc := m.direct[:len(out)]
	clear(acc)
	for k := c; k < len(m.src); k += m.channels {
		if x := m.src[k]; x != nil && k/m.channels != i {
			addScaled(acc, x[off:off+len(out)], m.gain[k])
		}
	}
	round(out, acc)
}

// limit runs a bus's limiter over its samples off..end.
func (m *Mixer) limit(l *limiter, bus [][]float32, off, end int) {
	if m.channels == 1 {
		l.mono(bus[0][off:end])
		return
	}
	l.stereo(bus[0][off:end], bus[1][off:end])
}

// scale sets acc[j] = x[j]·g.
func scale(acc []float64, x []float32, g float64) {
	x = x[:len(acc)]
	for j := range acc {
		acc[j] = float64(x[j]) * g
	}
}

// addScaled adds x[j]·g to acc[j].
func addScaled(acc []float64, x []float32, g float64) {
	x = x[:len(acc)]
	for j := range acc {
		acc[j] += float64(x[j]) * g
	}
}

// scale2 sets acc[j] = x[j]·g + y[j]·h.
func scale2(acc []float64, x []float32, g float64, y []float32, h float64) {
	x, y = x[:len(acc)], y[:len(acc)]
	for j := range acc {
		acc[j] = float64(x[j])*g + float64(y[j])*h
	}
}

// addScaled2 adds x[j]·g + y[j]·h to acc[j].
func addScaled2(acc []float64, x []float32, g float64, y []float32, h float64) {
	x, y = x[:len(acc)], y[:len(acc)]
	for j := range acc {
		acc[j] += float64(x[j])*g + float64(y[j])*h
	}
}

// subtract writes out[j] = S[j] − x[j]·g, rounded once.
func subtract(out []float32, s []float64, x []float32, g float64) {
	s, x = s[:len(out)], x[:len(out)]
	for j := range out {
		out[j] = float32(s[j] - float64(x[j])*g)
	}
}

// round writes out[j] = S[j] rounded to float32.
func round(out []float32, s []float64) {
	s = s[:len(out)]
	for j := range out {
		out[j] = float32(s[j])
	}
}

// bounded reports whether every |s[j]| is at most maxExact (false on NaN),
// comparing bits: for floats of one sign they order as the values do, and
// NaN above all.
func bounded(s []float64) bool {
	for _, v := range s {
		if math.Float64bits(v)&^(1<<63) > maxExactBits {
			return false
		}
	}
	return true
}
