package dynamics

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// limiterCases are the signals a limiter must hold down: each returns
// left and right.
var limiterCases = map[string]func() (l, r []float32){
	"full-scale sine": func() ([]float32, []float32) {
		x := sine(nil, rate, 997, 1)
		return x, x
	},
	"full-scale square": func() ([]float32, []float32) {
		x := make([]float32, rate)
		for i := range x {
			x[i] = 1
			if (i/24)%2 == 1 {
				x[i] = -1
			}
		}
		return x, x
	},
	"square from silence": func() ([]float32, []float32) {
		x := make([]float32, rate)
		for i := rate / 2; i < len(x); i++ {
			x[i] = 1 - 2*float32((i/100)%2)
		}
		return x, x
	},
	"clipped noise, one channel louder": func() ([]float32, []float32) {
		rng := rand.New(rand.NewPCG(7, 8))
		l, r := make([]float32, rate), make([]float32, rate)
		for i := range l {
			l[i] = float32(max(-1, min(1, 2*rng.NormFloat64())))
			r[i] = float32(max(-1, min(1, 0.3*rng.NormFloat64())))
		}
		return l, r
	},
	"single spikes over silence and quiet tone": func() ([]float32, []float32) {
		l := sine(nil, rate, 440, 0.05)
		r := make([]float32, rate)
		for i := 100; i < rate; i += 1777 {
			l[i] = 1
			r[i+3] = -1 // one channel, off by 3
		}
		l[5000], l[5001] = 10, -10 // far beyond full scale
		r[30000] = float32(math.Inf(1))
		r[30500] = float32(math.NaN())
		return l, r
	},
}

func TestLimiterNothingAboveCeiling(t *testing.T) {
	for _, look := range []time.Duration{time.Millisecond, 0, 5 * time.Millisecond} {
		for name, gen := range limiterCases {
			cfg := DefaultLimiterConfig()
			cfg.Lookahead = look
			lim, err := NewLimiter(rate, 2, cfg)
			require.NoError(t, err)
			ceil := lin(cfg.CeilingDB)
			l, r := gen()
			peak := 0.0
			for off := 0; off < len(l); off += block {
				p := [][]float32{append([]float32(nil), l[off:off+min(block, len(l)-off)]...),
					append([]float32(nil), r[off:off+min(block, len(l)-off)]...)}
				require.NoError(t, lim.Process(p))
				for _, ch := range p {
					for i, v := range ch {
						require.False(t, math.IsNaN(float64(v)), "%s: NaN out at %d", name, off+i)
						peak = max(peak, math.Abs(float64(v)))
						require.LessOrEqual(t, math.Abs(float64(v)), ceil, "%s, lookahead %v: sample %d", name, look, off+i)
					}
				}
			}
			require.Zero(t, lim.overshoots, "%s: the gain itself must hold the ceiling, not the safety clamp", name)
			t.Logf("lookahead %-4v %-42s max |out| %.9f (ceiling %.9f, %.4f dBFS)", look, name, peak, ceil, 20*math.Log10(peak))
		}
	}
}

// TestLimiterQuietPassesUnchanged: below the ceiling the output is the input
// delayed by Latency, bit for bit; after a loud stretch it recovers to
// within 1e-6.
func TestLimiterQuietPassesUnchanged(t *testing.T) {
	lim, err := NewLimiter(rate, 2, DefaultLimiterConfig())
	require.NoError(t, err)
	require.Equal(t, 48, lim.Latency(), "1 ms at 48 kHz")
	quiet := sine(nil, 2*rate, 1234, lin(-1.5))
	for i := 1000; i < len(quiet); i += 3000 {
		quiet[i] = float32(lin(-1.01)) // just below the ceiling
	}
	out := run(t, lim, 2, quiet, block)
	d := lim.Latency()
	for i := d; i < len(quiet); i++ {
		require.Equal(t, quiet[i-d], out[0][i], "sample %d", i)
	}

	loud := sine(nil, rate, 100, 1)
	run(t, lim, 2, loud, block)
	out = run(t, lim, 2, quiet, block)
	settled := rate // 1 s: 16 release time constants
	maxErr := 0.0
	for i := settled; i < len(quiet); i++ {
		maxErr = max(maxErr, math.Abs(float64(out[0][i]-quiet[i-d])))
	}
	t.Logf("after a loud second: largest difference from the dry signal %.2g", maxErr)
	require.LessOrEqual(t, maxErr, 1e-6)
}

// TestLimiterAttackIsARamp: ahead of a sudden full-scale square the gain
// falls as a straight line over the lookahead, never as a step, and the
// release is smooth.
func TestLimiterAttackIsARamp(t *testing.T) {
	lim, err := NewLimiter(rate, 1, DefaultLimiterConfig())
	require.NoError(t, err)
	x := make([]float32, 4*block)
	for i := range x {
		x[i] = 0.25
	}
	edge := 2*block + 100
	for i := edge; i < edge+ms(10); i++ {
		x[i] = 1
	}
	out := run(t, lim, 1, x, block)
	d := lim.Latency()
	r := lin(-1)
	maxStep := 0.0
	prev := 1.0
	for i := d; i < len(x); i++ {
		g := float64(out[0][i]) / float64(x[i-d])
		maxStep = max(maxStep, math.Abs(g-prev))
		prev = g
	}
	t.Logf("largest gain change per sample %.4f (a step would be %.3f)", maxStep, 1-r)
	require.LessOrEqual(t, maxStep, (1-r)/float64(d)+1e-6, "the gain moves by at most (1−r)/L per sample")
	require.InDelta(t, r, float64(out[0][edge+d])/float64(x[edge]), 1e-6, "at the ceiling on the first loud sample")
}

func TestLimiterBypassKeepsLatency(t *testing.T) {
	lim, err := NewLimiter(rate, 2, DefaultLimiterConfig())
	require.NoError(t, err)
	lim.SetEnabled(false)
	require.False(t, lim.Enabled())
	x := sine(nil, 4*block, 50, 1.5)
	out := run(t, lim, 2, x, block)
	d := lim.Latency()
	// The toggle ramp from the enabled start lasts 20 ms; after it the
	// output is the input delayed by the same latency, not limited.
	for i := d + ms(20); i < len(x); i++ {
		require.Equal(t, x[i-d], out[0][i], "sample %d", i)
	}
}

func TestLimiterAllocatesNothing(t *testing.T) {
	lim, err := NewLimiter(rate, 2, DefaultLimiterConfig())
	require.NoError(t, err)
	p := stereo(block)
	src := sine(nil, block, 440, 2)
	require.Zero(t, testing.AllocsPerRun(100, func() {
		copy(p[0], src)
		copy(p[1], src)
		_ = lim.Process(p)
	}))
}

func TestLimiterConfig(t *testing.T) {
	for name, mod := range map[string]func(*LimiterConfig){
		"ceiling above 0": func(c *LimiterConfig) { c.CeilingDB = 1 },
		"no release":      func(c *LimiterConfig) { c.Release = 0 },
		"long lookahead":  func(c *LimiterConfig) { c.Lookahead = time.Second },
		"NaN ceiling":     func(c *LimiterConfig) { c.CeilingDB = math.NaN() },
	} {
		c := DefaultLimiterConfig()
		mod(&c)
		_, err := NewLimiter(rate, 2, c)
		require.Error(t, err, name)
	}
}
