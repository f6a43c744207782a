package audiomix

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Two −12 dBFS tones peak at −6 dBFS: the limiter lets them through and
// the master is exactly their float32 sum; each mix-minus bus is the other
// tone.
func TestSumBelowThresholdIsExact(t *testing.T) {
	for _, channels := range []int{1, 2} {
		a := sine(rate/2, 400, lin(-12))
		b := sine(rate/2, 1000, lin(-12))
		m := New(channels, 2)
		r := run(t, m, []Input{{Samples: planes(channels, a), Gain: 1}, {Samples: planes(channels, b), Gain: 1}}, block, 0, 1)
		for c := range channels {
			for j := range a {
				require.Equal(t, a[j]+b[j], r.master[c][j], "channels %d, channel %d, sample %d", channels, c, j)
				require.InDelta(t, b[j], r.minus[0][c][j], 1e-12, "minus[0]")
				require.InDelta(t, a[j], r.minus[1][c][j], 1e-12, "minus[1]")
			}
		}
	}
}

// Full-scale signals summed must not wrap: every output sample within
// ±1.0 and of the sum's sign, and, once the limiter has caught the first
// peak, the peaks at the threshold.
func TestFullScaleSumsDoNotWrap(t *testing.T) {
	n := rate / 2
	cases := map[string]func(ch int) []Input{
		"two in-phase 1 kHz sines at 0 dBFS": func(ch int) []Input {
			return []Input{
				{Samples: planes(ch, sine(n, 1000, 1)), Gain: 1},
				{Samples: planes(ch, sine(n, 1000, 1)), Gain: 1},
			}
		},
		"two full-scale squares": func(ch int) []Input {
			return []Input{
				{Samples: planes(ch, square(n, 1000, 1)), Gain: 1},
				{Samples: planes(ch, square(n, 1000, 1)), Gain: 1},
			}
		},
		"two squares of ±8 and a sine, panned": func(ch int) []Input {
			return []Input{
				{Samples: planes(ch, square(n, 100, 8)), Gain: 1, Pan: -0.3},
				{Samples: planes(ch, square(n, 330, 8)), Gain: 1, Pan: 0.6},
				{Samples: planes(ch, sine(n, 997, 1)), Gain: 10},
			}
		},
		"eight full-scale sines at +20 dB": func(ch int) []Input {
			in := make([]Input, 8)
			for i := range in {
				in[i] = Input{Samples: planes(ch, sine(n, 200+float64(i)*100, 1)), Gain: 10, Pan: float32(i-4) / 4}
			}
			return in
		},
	}
	for name, mk := range cases {
		for _, channels := range []int{1, 2} {
			in := mk(channels)
			m := New(channels, len(in))
			r := run(t, m, in, block, 0)
			for c := range channels {
				for j := range n {
					s := directSum(in, channels, c, j, -1)
					y := float64(r.master[c][j])
					require.LessOrEqual(t, math.Abs(y), 1.0, "%s, %d channels: sample %d", name, channels, j)
					require.True(t, (s > 0 && y > 0) || (s < 0 && y < 0) || (s == 0 && y == 0),
						"%s, %d channels: sample %d is %g for a sum of %g", name, channels, j, y, s)
				}
			}
			// Steady state: after the first 10 ms, peaks at T (on the
			// louder channel: one gain for both).
			p := 0.0
			for c := range channels {
				p = max(p, peak(r.master[c][ms(10):]))
			}
			require.InDelta(t, thrDB, db(p), 0.1, "%s, %d channels: steady peak", name, channels)
			// Instant attack: not even the first peak gets over T (but
			// for rounding), so the soft clip does nothing audible.
			for c := range channels {
				require.LessOrEqual(t, peak(r.master[c]), float64(thr)*(1+1e-6), "%s, %d channels: overshoot", name, channels)
			}
			t.Logf("%s, %d channels: steady peak %.4f dBFS", name, channels, db(p))
		}
	}
}

// Garbage in (±Inf, NaN, 1e30) gives nothing above ±1.0 out, NaN as 0,
// the sign of everything else kept; the bus recovers to exact unity gain.
func TestGarbageIsContained(t *testing.T) {
	n := rate
	x := sine(n, 440, lin(-20))
	bad := make([]float32, n)
	inf := float32(math.Inf(1))
	for j := range 1000 {
		switch j % 4 {
		case 0:
			bad[j] = inf
		case 1:
			bad[j] = -inf
		case 2:
			bad[j] = float32(math.NaN())
		case 3:
			bad[j] = 1e30
		}
	}
	for _, channels := range []int{1, 2} {
		in := []Input{{Samples: planes(channels, x), Gain: 1}, {Samples: planes(channels, bad), Gain: 1}}
		m := New(channels, 2)
		r := run(t, m, in, block, 0, 1)
		for c := range channels {
			for j := range n {
				y := r.master[c][j]
				require.LessOrEqual(t, math.Abs(float64(y)), 1.0, "sample %d", j)
				switch v := bad[j]; {
				case v != v:
					require.Zero(t, y, "NaN at %d", j)
				case v > 0:
					require.Positive(t, y, "sample %d", j)
				case v < 0:
					require.Negative(t, y, "sample %d", j)
				}
				// The broken source's own return is untouched.
				require.Equal(t, x[j], r.minus[1][c][j], "minus[1] sample %d", j)
			}
			// Released back to exact unity well within 0.5 s of the end of
			// the garbage (the envelope's cap is +42 dBFS).
			from := 1000 + ms(500)
			require.Equal(t, x[from:], r.master[c][from:])
			require.True(t, m.bus[0].idle())
		}
	}
}

// A muted input and an absent one contribute exactly nothing, even if
// the muted one carries NaN and Inf.
func TestMutedAndAbsentContributeNothing(t *testing.T) {
	n := rate / 4
	rng := rand.New(rand.NewPCG(3, 4))
	noise := func(level float64) []float32 {
		x := make([]float32, n)
		for j := range x {
			x[j] = float32(level * rng.NormFloat64())
		}
		return x
	}
	nasty := noise(1)
	nasty[10], nasty[20] = float32(math.NaN()), float32(math.Inf(1))
	a := Input{Samples: [][]float32{noise(0.3), noise(0.3)}, Gain: 1.3, Pan: 0.2}
	b := Input{Samples: [][]float32{noise(0.5), noise(0.2)}, Gain: 0.7, Pan: -0.5}
	cases := map[string]Input{
		"gain 0":              {Samples: [][]float32{noise(1), noise(1)}, Gain: 0},
		"gain 0, NaN and Inf": {Samples: [][]float32{nasty, nasty}, Gain: 0, Pan: 0.3},
		"nil samples":         {Gain: 1},
		"gain NaN":            {Samples: [][]float32{noise(1), noise(1)}, Gain: float32(math.NaN())},
	}
	ref := run(t, New(2, 2), []Input{a, b}, block, 0, 1)
	for name, q := range cases {
		got := run(t, New(2, 3), []Input{a, q, b}, block, 0, 1, 2)
		require.Equal(t, ref.master, got.master, name)
		require.Equal(t, ref.minus[0], got.minus[0], name)
		require.Equal(t, ref.minus[1], got.minus[2], name)
		require.Equal(t, ref.master, got.minus[1], "%s: its own return is the full mix", name)
	}
}

// The balance law: −1 is left only (right exactly 0), 0 is bit-exact,
// ±0.5 halves the far side; a mono mixer ignores pan.
func TestPan(t *testing.T) {
	x := sine(rate/4, 440, lin(-6))
	for _, tc := range []struct {
		pan         float32
		left, right float32 // the expected factors
	}{
		{-1, 1, 0}, {-0.5, 1, 0.5}, {0, 1, 1}, {0.5, 0.5, 1}, {1, 0, 1},
		{-3, 1, 0}, {float32(math.NaN()), 1, 1}, // clamped; NaN is centre
	} {
		r := run(t, New(2, 1), []Input{{Samples: planes(2, x), Gain: 1, Pan: tc.pan}}, block)
		for j := range x {
			require.Equal(t, x[j]*tc.left, r.master[0][j], "pan %g, left %d", tc.pan, j)
			require.Equal(t, x[j]*tc.right, r.master[1][j], "pan %g, right %d", tc.pan, j)
		}
		mono := run(t, New(1, 1), []Input{{Samples: planes(1, x), Gain: 1, Pan: tc.pan}}, block)
		require.Equal(t, x, mono.master[0], "mono, pan %g", tc.pan)
	}
	// Pan −1 on a louder source: the right channel is exactly zero.
	r := run(t, New(2, 1), []Input{{Samples: planes(2, sine(rate/4, 440, 1)), Gain: 3, Pan: -1}}, block)
	for j := range r.master[1] {
		require.Zero(t, math.Float32bits(r.master[1][j]), "right %d", j)
	}
}

// A mono source in a stereo mixer feeds both channels, panned.
func TestMonoSourceInStereoMix(t *testing.T) {
	x := sine(rate/4, 440, lin(-6))
	r := run(t, New(2, 1), []Input{{Samples: [][]float32{x}, Gain: 1, Pan: 0.5}}, block)
	for j := range x {
		require.Equal(t, x[j]*0.5, r.master[0][j])
		require.Equal(t, x[j], r.master[1][j])
	}
}

// Gains: 0.5 is −6.02 dB; others as their dB.
func TestGain(t *testing.T) {
	x := sine(rate/2, 1000, lin(-20))
	for _, g := range []float32{0.5, 0.25, 1, 2, 0.1, 0.001, -0.5} {
		for _, channels := range []int{1, 2} {
			r := run(t, New(channels, 1), []Input{{Samples: planes(channels, x), Gain: g}}, block)
			for c := range channels {
				got := db(goertzel(r.master[c][:rate/4], 1000) / goertzel(x[:rate/4], 1000))
				want := db(math.Abs(float64(g)))
				require.InDelta(t, want, got, 0.01, "gain %g", g)
				if g == 0.5 {
					require.InDelta(t, -6.02, got, 0.01)
				}
			}
		}
	}
	// A negative gain inverts the polarity, exactly.
	r := run(t, New(1, 1), []Input{{Samples: planes(1, x), Gain: -1}}, block)
	for j := range x {
		require.Equal(t, -x[j], r.master[0][j])
	}
}

// Mix-minus: four tones at −12 dBFS; minus[0] has 600, 800 and 1000 Hz at
// their level and no 400 Hz; the master has all four.
func TestMixMinus(t *testing.T) {
	freqs := []float64{400, 600, 800, 1000}
	level := lin(-12)
	n := rate
	for _, channels := range []int{1, 2} {
		in := make([]Input, len(freqs))
		for i, f := range freqs {
			in[i] = Input{Samples: planes(channels, sine(n, f, level)), Gain: 1}
		}
		m := New(channels, 4)
		r := run(t, m, in, block, 0, 1, 2, 3)
		// 0.1 s from 0.5 s: a whole number of cycles of every tone.
		win := func(x []float32) []float32 { return x[rate/2 : rate/2+rate/10] }
		for i := range freqs {
			for c := range channels {
				bus := win(r.minus[i][c])
				for k, f := range freqs {
					got := db(goertzel(bus, f) / level)
					if k != i {
						require.InDelta(t, 0, got, 0.1, "minus[%d] at %g Hz", i, f)
						continue
					}
					require.Less(t, got, -100.0, "minus[%d]: its own %g Hz", i, f)
					if i == 0 && c == 0 {
						t.Logf("%d channels: minus[0] has 400 Hz %.1f dB below the input (an exact zero is -Inf)", channels, -got)
					}
				}
			}
		}
		for c := range channels {
			for _, f := range freqs {
				got := db(goertzel(win(r.master[c]), f) / level)
				require.InDelta(t, 0, got, 1, "master at %g Hz", f)
				if c == 0 {
					t.Logf("%d channels: master at %g Hz: %+.3f dB (master peak %.2f dBFS)", channels, f, got, db(peak(r.master[c])))
				}
			}
		}
	}
}

// Each mix-minus bus equals the direct sum of the other inputs, within
// float32 rounding, for eight noisy inputs with assorted gains and pans.
func TestMinusIsTheDirectSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := rate / 2
	in := make([]Input, 8)
	for i := range in {
		l, r := make([]float32, n), make([]float32, n)
		for j := range l {
			l[j] = float32(0.05 * rng.NormFloat64())
			r[j] = float32(0.05 * rng.NormFloat64())
		}
		in[i] = Input{Samples: [][]float32{l, r}, Gain: float32(0.2 + rng.Float64()), Pan: float32(2*rng.Float64() - 1)}
	}
	in[5].Gain = 0
	m := New(2, 8)
	r := run(t, m, in, block, 0, 1, 2, 3, 4, 5, 6, 7)
	worst, exact, total := 0.0, 0, 0
	for i := range in {
		for c := range 2 {
			for j := range n {
				want := float32(directSum(in, 2, c, j, i))
				require.LessOrEqual(t, math.Abs(float64(want)), float64(thr), "the test wants no limiting")
				got := r.minus[i][c][j]
				d := math.Abs(float64(got - want))
				worst = max(worst, d)
				total++
				if got == want {
					exact++
				}
				require.LessOrEqual(t, d, 1e-9, "minus[%d] channel %d sample %d", i, c, j)
			}
		}
	}
	t.Logf("mix-minus vs direct sums: %d of %d samples bit-identical, worst difference %.3g (%.0f dBFS)", exact, total, worst, db(worst))
}

// A source that sends Inf or NaN spoils the master and the others'
// returns (they are limited to silence or ±1), never its own return.
func TestBrokenGuestKeepsOwnReturn(t *testing.T) {
	n := rate / 4
	bad := sine(n, 300, 0.5)
	for j := 3000; j < 3100; j++ {
		bad[j] = float32(math.NaN())
	}
	bad[5000] = float32(math.Inf(-1))
	in := []Input{
		{Samples: planes(2, sine(n, 400, 0.2)), Gain: 1},
		{Samples: planes(2, bad), Gain: 1},
		{Samples: planes(2, sine(n, 500, 0.2)), Gain: 1, Pan: 0.4},
	}
	r := run(t, New(2, 3), in, block, 0, 1, 2)
	for c := range 2 {
		for j := range n {
			require.InDelta(t, float32(directSum(in, 2, c, j, 1)), r.minus[1][c][j], 1e-12, "sample %d", j)
		}
	}
}

// One bus's limiter does not duck another: a loud guest drives the master
// and the other returns into the limiter, while the return that leaves
// them out stays exactly the quiet sum.
func TestLimiterStateIsPerBus(t *testing.T) {
	n := rate / 2
	in := []Input{
		{Samples: planes(2, sine(n, 200, 1)), Gain: 4},
		{Samples: planes(2, sine(n, 600, 0.2)), Gain: 1},
		{Samples: planes(2, sine(n, 800, 0.2)), Gain: 1, Pan: 0.5},
	}
	m := New(2, 3)
	r := run(t, m, in, block, 0, 1)
	quiet := run(t, New(2, 2), in[1:], block)
	require.InDelta(t, thrDB, db(peak(r.master[0][ms(10):])), 0.1, "the master is limited")
	for c := range 2 {
		for j := range n {
			require.InDelta(t, quiet.master[c][j], r.minus[0][c][j], 1e-9, "channel %d sample %d", c, j)
		}
		require.InDelta(t, 0, db(goertzel(r.minus[0][c][rate/4:rate/4+rate/10], 600)/0.2), 0.001)
	}
	require.True(t, m.bus[1].idle(), "minus[0] never limited")
	require.False(t, m.bus[0].idle(), "master still limiting")
}

// Block size does not matter: the same signal in blocks of 1024, 100,
// 4096 and 1 gives the same samples (the limiter works per sample and the
// mixer in fixed chunks).
func TestBlockSizeDoesNotMatter(t *testing.T) {
	n := rate / 2
	in := []Input{
		{Samples: planes(2, square(n, 50, 1)), Gain: 1.5, Pan: 0.3},
		{Samples: planes(2, sine(n, 1000, 0.7)), Gain: 1},
		{Samples: planes(2, sine(n, 123, 0.5)), Gain: 0.8, Pan: -1},
	}
	ref := run(t, New(2, 3), in, 1024, 0, 1, 2)
	for _, size := range []int{100, 4096, 257, 1} {
		got := run(t, New(2, 3), in, size, 0, 1, 2)
		require.Equal(t, ref, got, "blocks of %d", size)
	}
}

// Reset brings every bus back to unity gain at once.
func TestReset(t *testing.T) {
	m := New(2, 2)
	loud := Input{Samples: planes(2, sine(block, 1000, 1)), Gain: 4}
	run(t, m, []Input{loud, loud}, block, 0, 1)
	for i := range m.bus {
		require.False(t, m.bus[i].idle(), "bus %d", i)
	}
	m.Reset()
	quiet := sine(block, 1000, 0.5)
	r := run(t, m, []Input{{Samples: planes(2, quiet), Gain: 1}, {}}, block, 0, 1)
	require.Equal(t, quiet, r.master[0])
	require.Equal(t, quiet, r.minus[1][1])
}

// An input of the wrong shape is skipped and counted, not a panic; a
// master or return of the wrong shape is a programming error and panics.
func TestShapes(t *testing.T) {
	m := New(2, 3)
	x := sine(block, 440, 0.3)
	master := newBus(2, block)
	good := Input{Samples: planes(2, x), Gain: 1}
	m.Mix([]Input{
		good,
		{Samples: [][]float32{x, x, x}, Gain: 1}, // three channels
		{Samples: [][]float32{x, x[:100]}, Gain: 1}, // short plane
	}, master, nil)
	require.Equal(t, uint64(2), m.Skipped())
	require.Equal(t, x, master[0])

	require.PanicsWithValue(t, "audiomix: master has 1 channels, want 2", func() {
		m.Mix([]Input{good}, newBus(1, block), nil)
	})
	require.PanicsWithValue(t, "audiomix: minus[1] channel 0 has 10 samples, master 1024", func() {
		m.Mix([]Input{good}, master, [][][]float32{nil, newBus(2, 10)})
	})
	require.PanicsWithValue(t, "audiomix: 4 inputs for a mixer of 3", func() {
		m.Mix(make([]Input, 4), master, nil)
	})
	require.Panics(t, func() { New(3, 1) })
	// A block of 0 samples does nothing.
	m.Mix([]Input{{Samples: planes(2, nil), Gain: 1}}, newBus(2, 0), [][][]float32{newBus(2, 0)})
}

// The release law: after a peak p the gain is T/(p·e^(−t/τ)) until it
// is back at 1, exactly, after ln(p/T)·τ.
func TestRelease(t *testing.T) {
	n := rate / 2
	x := sine(n, 1000, 0.5)
	x[0] = 2 // one +6 dBFS spike, then a tone under the threshold
	r := run(t, New(1, 1), []Input{{Samples: planes(1, x), Gain: 1}}, block)
	back := int(math.Ceil(math.Log(2/float64(thr)) * Release.Seconds() * rate))
	for _, at := range []int{ms(1), ms(10), ms(30), ms(50), ms(70), back - 50} {
		at += 5 // off the tone's zero crossings
		g := float64(r.master[0][at]) / float64(x[at])
		want := float64(thr) / (2 * math.Exp(-float64(at)/(Release.Seconds()*rate)))
		require.InEpsilon(t, want, g, 1e-3, "gain at %d", at)
	}
	require.Equal(t, x[back+5:], r.master[0][back+5:], "unity again after %.1f ms", float64(back)/rate*1000)
}

// The soft clip: identity to T, then a knee that stays under 1 and keeps
// the sign, continuous and rising.
func TestSoftClip(t *testing.T) {
	prev := float32(0)
	for v := float32(0); v < 40; v += 0.001 {
		y := soft(v)
		require.LessOrEqual(t, y, float32(1))
		require.GreaterOrEqual(t, y, prev, "rising at %g", v)
		require.Less(t, y-prev, float32(0.0011), "continuous at %g", v)
		require.Equal(t, -y, soft(-v))
		if v <= thr {
			require.Equal(t, v, y)
		}
		prev = y
	}
	require.Equal(t, float32(1), soft(float32(math.Inf(1))))
	require.Equal(t, float32(-1), soft(float32(math.Inf(-1))))
	require.Zero(t, soft(float32(math.NaN())))
}
