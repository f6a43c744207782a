package audiomix

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	rate  = SampleRate
	block = 1024
)

// thrDB is the threshold as the tests measure it.
var thrDB = 20 * math.Log10(float64(thr))

// ms is a number of samples at rate.
func ms(v float64) int { return int(math.Round(v * rate / 1000)) }

func lin(db float64) float64 { return math.Pow(10, db/20) }

func db(v float64) float64 { return 20 * math.Log10(v) }

// sine is n samples of a sine at freq Hz with the given peak, phase 0 at
// the first sample.
func sine(n int, freq, peak float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(peak * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	return x
}

// square is n samples of a square wave at freq Hz swinging ±peak.
func square(n int, freq, peak float64) []float32 {
	x := make([]float32, n)
	half := rate / freq / 2
	for i := range x {
		x[i] = float32(peak)
		if int(float64(i)/half)%2 == 1 {
			x[i] = float32(-peak)
		}
	}
	return x
}

// planes gives x on each of channels planes (the same slice: inputs are
// only read).
func planes(channels int, x []float32) [][]float32 {
	p := make([][]float32, channels)
	for c := range p {
		p[c] = x
	}
	return p
}

// newBus makes an empty bus of channels planes of n samples.
func newBus(channels, n int) [][]float32 {
	p := make([][]float32, channels)
	for c := range p {
		p[c] = make([]float32, n)
	}
	return p
}

// result is what run gives back: every bus over the whole signal.
type result struct {
	master [][]float32
	minus  [][][]float32 // nil where not asked for
}

// run feeds in (whole signals) through m in blocks of size and returns
// the master and the mix-minus buses listed in want.
func run(t testing.TB, m *Mixer, in []Input, size int, want ...int) result {
	t.Helper()
	n := 0
	for _, inp := range in {
		if inp.Samples != nil {
			n = len(inp.Samples[0])
		}
	}
	require.NotZero(t, n, "no input has samples")
	r := result{master: newBus(m.Channels(), n), minus: make([][][]float32, m.Inputs())}
	for _, i := range want {
		r.minus[i] = newBus(m.Channels(), n)
	}
	blk := make([]Input, len(in))
	master := make([][]float32, m.Channels())
	minus := make([][][]float32, len(r.minus))
	for off := 0; off < n; off += size {
		end := min(off+size, n)
		for i, inp := range in {
			blk[i] = inp
			if inp.Samples != nil {
				blk[i].Samples = make([][]float32, len(inp.Samples))
				for c, p := range inp.Samples {
					blk[i].Samples[c] = p[off:end]
				}
			}
		}
		for c := range master {
			master[c] = r.master[c][off:end]
		}
		for i, bus := range r.minus {
			minus[i] = nil
			if bus != nil {
				minus[i] = make([][]float32, len(bus))
				for c := range bus {
					minus[i][c] = bus[c][off:end]
				}
			}
		}
		m.Mix(blk, master, minus)
	}
	return r
}

// goertzel is the peak amplitude of the freq Hz component of x (over a
// whole number of its cycles, for no leakage).
func goertzel(x []float32, freq float64) float64 {
	w := 2 * math.Pi * freq / rate
	k := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+k*s1-s2, s1
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return 2 * math.Hypot(re, im) / float64(len(x))
}

// peak is the largest |x|.
func peak(x []float32) float64 {
	p := 0.0
	for _, v := range x {
		p = max(p, math.Abs(float64(v)))
	}
	return p
}

// directSum is the N−1 (or N, with except −1) sum of the inputs for
// channel c at sample j, by the documented law, in float64.
func directSum(in []Input, channels, c, j, except int) float64 {
	s := 0.0
	for i, inp := range in {
		if i == except || inp.Samples == nil || inp.Gain == 0 {
			continue
		}
		g := float64(inp.Gain)
		if channels == 2 {
			g *= float64(balance(inp.Pan, c))
		}
		if g == 0 {
			continue
		}
		s += float64(inp.Samples[min(c, len(inp.Samples)-1)][j]) * g
	}
	return s
}
