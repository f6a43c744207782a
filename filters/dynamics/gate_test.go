package dynamics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// gains reads the gate's gain back from its output: out/in wherever the
// input is far enough from a zero crossing (NaN elsewhere).
func gains(in, out []float32) []float64 {
	g := make([]float64, len(in))
	for i := range in {
		g[i] = math.NaN()
		if math.Abs(float64(in[i])) >= 0.005 {
			g[i] = float64(out[i]) / float64(in[i])
		}
	}
	return g
}

// first is the first index ≥ from where ok holds on a measured gain.
func first(g []float64, from int, ok func(float64) bool) int {
	for i := from; i < len(g); i++ {
		if !math.IsNaN(g[i]) && ok(g[i]) {
			return i
		}
	}
	return -1
}

// TestGateBurstTimes: a 1 kHz burst at −20 dBFS peak between stretches at
// −40 dBFS. By the documented semantics the gain starts rising when the
// burst first crosses the open threshold, is full one attack later, and
// after the burst the peak envelope needs (A − close)/decay samples to fall
// below the close threshold, then the hold, then the release.
func TestGateBurstTimes(t *testing.T) {
	cfg := DefaultGateConfig()
	g, err := NewGate(rate, 2, cfg)
	require.NoError(t, err)
	defer g.Close()

	const amp = 0.1 // −20 dBFS
	start := ms(500)
	var x []float32
	x = sine(x, start, 1000, lin(-40))
	x = sine(x, ms(500), 1000, amp)
	end := len(x)
	x = sine(x, ms(1000), 1000, lin(-40))

	out := run(t, g, 2, x, block)
	gn := gains(x, out[0])
	require.Equal(t, out[0], out[1], "one gain for both channels")

	openLin, closeLin := lin(cfg.OpenThresholdDB), lin(cfg.CloseThresholdDB)
	decay := (openLin - closeLin) * 75 / rate
	attack, hold, release := ms(25), ms(200), ms(150)
	tol := ms(5)

	crossing := start
	for math.Abs(float64(x[crossing])) <= openLin {
		crossing++
	}
	closeAt := end + int((amp-closeLin)/decay)
	t.Logf("burst %d..%d (samples), crosses the open threshold at %d; envelope below close at %d (%.1f ms after the burst)",
		start, end, crossing, closeAt, float64(closeAt-end)*1000/rate)

	require.Equal(t, -1, first(gn[:start], 0, func(v float64) bool { return v != 0 }), "closed before the burst")
	opens := first(gn, start, func(v float64) bool { return v > 0 })
	full := first(gn, opens, func(v float64) bool { return v >= 0.999 })
	releasing := first(gn, full, func(v float64) bool { return v < 0.999 })
	closed := first(gn, releasing, func(v float64) bool { return v <= 0.001 })
	report := func(name string, got, want int) {
		t.Logf("%-16s at %6d, want %6d: %+.2f ms", name, got, want, float64(got-want)*1000/rate)
		require.InDelta(t, want, got, float64(tol), name)
	}
	report("opens", opens, crossing)
	report("fully open", full, crossing+attack)
	report("release starts", releasing, closeAt+hold)
	report("fully closed", closed, closeAt+hold+release)
	require.Equal(t, -1, first(gn, closed+1, func(v float64) bool { return v > 0.001 }), "stays closed")
	require.False(t, g.IsOpen())
}

// TestGateHysteresis: a level between the thresholds neither opens a
// closed gate nor closes an open one.
func TestGateHysteresis(t *testing.T) {
	g, err := NewGate(rate, 2, DefaultGateConfig())
	require.NoError(t, err)
	defer g.Close()
	between := lin(-29) // peak, between −32 and −26

	var x []float32
	x = sine(x, ms(1000), 1000, between) // closed stays closed
	opened := len(x)
	x = sine(x, ms(200), 1000, lin(-12)) // opens
	held := len(x)
	x = sine(x, ms(1000), 1000, between) // open stays open
	quiet := len(x)
	x = sine(x, ms(600), 1000, lin(-40)) // below close: closes
	out := run(t, g, 2, x, block)
	gn := gains(x, out[0])

	for i := 0; i < opened; i++ {
		require.Zero(t, out[0][i], "sample %d: a closed gate must not open between the thresholds", i)
	}
	for i := held; i < quiet; i++ {
		if !math.IsNaN(gn[i]) {
			require.InDelta(t, 1, gn[i], 1e-6, "sample %d: an open gate must not close between the thresholds", i)
		}
	}
	// Below the close threshold it closes: hold 200 ms + release 150 ms
	// plus a few ms of envelope decay.
	closed := first(gn, quiet, func(v float64) bool { return v == 0 })
	require.NotEqual(t, -1, closed)
	require.InDelta(t, quiet+ms(350), closed, float64(ms(10)))
}

// TestGateBypassRamps: toggling fades between gated and dry over 20 ms
// instead of jumping, and the detector keeps running while bypassed.
func TestGateBypassRamps(t *testing.T) {
	g, err := NewGate(rate, 2, DefaultGateConfig())
	require.NoError(t, err)
	defer g.Close()
	x := sine(nil, 4*block, 1000, lin(-40)) // closed: the gate mutes it
	out := run(t, g, 2, x[:2*block], block)
	require.Zero(t, out[0][2*block-1])

	g.SetEnabled(false)
	require.False(t, g.Enabled())
	out = run(t, g, 2, x[2*block:], block)
	gn := gains(x[2*block:], out[0])
	ramp := ms(20)
	for i, v := range gn {
		if !math.IsNaN(v) {
			require.InDelta(t, math.Min(1, float64(i+1)/float64(ramp)), v, 1e-4, "sample %d: a linear 20 ms fade", i)
		}
	}
	require.Equal(t, x[3*block:], out[0][block:], "bypassed after the ramp: dry, bit for bit")

	g.SetEnabled(true)
	out = run(t, g, 2, x[:block], block)
	require.Zero(t, out[0][block-1], "back on: still closed, the detector ran while bypassed")

	// Opened by a loud burst, then bypassed through a quiet stretch longer
	// than hold + release: back on, it has closed meanwhile (a detector
	// frozen while bypassed would still be open and pass the quiet tone).
	loud := sine(nil, 4*block, 1000, lin(-10))
	out = run(t, g, 2, loud, block)
	require.InDelta(t, 1, maxAbs(out[0][3*block:])/maxAbs(loud[3*block:]), 1e-3, "open on the burst")
	g.SetEnabled(false)
	quiet := sine(nil, ms(500)/block*block+block, 1000, lin(-40))
	run(t, g, 2, quiet, block)
	g.SetEnabled(true)
	out = run(t, g, 2, quiet[:2*block], block)
	require.Zero(t, maxAbs(out[0][block:]), "back on after the quiet stretch: closed")
}

func maxAbs(x []float32) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

func TestGateConfig(t *testing.T) {
	for name, mod := range map[string]func(*GateConfig){
		"close above open": func(c *GateConfig) { c.CloseThresholdDB = -20 },
		"open above 0":     func(c *GateConfig) { c.OpenThresholdDB = 3 },
		"negative attack":  func(c *GateConfig) { c.Attack = -1 },
		"NaN threshold":    func(c *GateConfig) { c.OpenThresholdDB = math.NaN() },
	} {
		c := DefaultGateConfig()
		mod(&c)
		_, err := NewGate(rate, 2, c)
		require.Error(t, err, name)
	}
	g, err := NewGate(rate, 2, DefaultGateConfig())
	require.NoError(t, err)
	require.Error(t, g.Process(stereo(block)[:1]), "wrong channel count")
	require.Error(t, g.Process([][]float32{make([]float32, 4), make([]float32, 5)}), "ragged block")
}

func TestGateAllocatesNothing(t *testing.T) {
	g, err := NewGate(rate, 2, DefaultGateConfig())
	require.NoError(t, err)
	p := stereo(block)
	copy(p[0], sine(nil, block, 440, 0.5))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = g.Process(p) }))
}
