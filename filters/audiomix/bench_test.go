package audiomix

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchBlocks is how many 1024-sample blocks the benchmark signal lasts
// (about 2 s, so the slow swells that push the sums over the threshold
// come and go).
const benchBlocks = 94

// benchSetup makes a stereo mixer of 8 inputs, its master and the first
// minusBuses mix-minus buses, and benchBlocks blocks of 8 inputs: tones
// and noise at assorted gains and pans, swelling at different slow rates
// so that the master goes into its limiter part of the time.
func benchSetup(minusBuses int) (*Mixer, [][]Input, [][]float32, [][][]float32) {
	const inputs = 8
	n := benchBlocks * block
	rng := rand.New(rand.NewPCG(11, 12))
	sig := make([][][]float32, inputs)
	gains := []float32{1, 0.8, 1.2, 0.6, 1, 0.9, 1.4, 0.5}
	pans := []float32{0, -0.7, 0.7, -0.3, 0.3, -1, 1, 0}
	for i := range sig {
		sig[i] = [][]float32{make([]float32, n), make([]float32, n)}
		f := 110 * float64(i+1)
		swell := 0.35 + 0.2*float64(i)
		for j := range n {
			t := float64(j) / rate
			env := 0.22 * (1 + 0.9*math.Sin(2*math.Pi*swell*t+float64(i)))
			v := env * math.Sin(2*math.Pi*f*t)
			sig[i][0][j] = float32(v + 0.02*rng.NormFloat64())
			sig[i][1][j] = float32(0.8*v + 0.02*rng.NormFloat64())
		}
	}
	in := make([][]Input, benchBlocks)
	for k := range in {
		in[k] = make([]Input, inputs)
		for i := range inputs {
			in[k][i] = Input{
				Samples: [][]float32{sig[i][0][k*block : (k+1)*block], sig[i][1][k*block : (k+1)*block]},
				Gain:    gains[i],
				Pan:     pans[i],
			}
		}
	}
	minus := make([][][]float32, minusBuses)
	for i := range minus {
		minus[i] = newBus(2, block)
	}
	return New(2, inputs), in, newBus(2, block), minus
}

// benchMix runs Mix over the benchmark's blocks, in a loop, and reports
// the share of blocks that ended with the master still limiting.
func benchMix(b *testing.B, minusBuses int) {
	m, in, master, minus := benchSetup(minusBuses)
	limited, blocks := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		m.Mix(in[blocks%len(in)], master, minus)
		blocks++
		if !m.bus[0].idle() {
			limited++
		}
	}
	b.ReportMetric(100*float64(limited)/float64(blocks), "%limited")
}

// BenchmarkMixer8 is the program's worst case: 8 stereo inputs into the
// master and 3 mix-minus buses.
func BenchmarkMixer8(b *testing.B) { benchMix(b, 3) }

// BenchmarkMixer8NoMinus is the same mix into the master alone.
func BenchmarkMixer8NoMinus(b *testing.B) { benchMix(b, 0) }

// Mix allocates nothing, with the benchmark's mix and buses.
func TestMixAllocatesNothing(t *testing.T) {
	m, in, master, minus := benchSetup(3)
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		m.Mix(in[i%len(in)], master, minus)
		i++
	})
	require.Zero(t, allocs)
}

// The benchmark's signal does what it says: the master limits in some
// blocks and not in others, and so do the mix-minus buses.
func TestBenchSignalLimitsPartOfTheTime(t *testing.T) {
	m, in, master, minus := benchSetup(3)
	limited := make([]int, 4)
	for _, blk := range in {
		m.Mix(blk, master, minus)
		for b := range limited {
			if !m.bus[b].idle() {
				limited[b]++
			}
		}
	}
	t.Logf("blocks ending in the limiter, of %d: master %d, minus %v", len(in), limited[0], limited[1:])
	for b, n := range limited {
		require.Greater(t, n, len(in)/10, "bus %d", b)
		require.Less(t, n, len(in)*9/10, "bus %d", b)
	}
}
