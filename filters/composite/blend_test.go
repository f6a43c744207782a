package composite

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBlendRowMatchesFormula: the eight-at-a-time path gives exactly the
// per-sample formula for every weight, at every length (tails included),
// with the output aliasing either input.
func TestBlendRowMatchesFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 41; n++ {
		a, b := make([]byte, n), make([]byte, n)
		for i := range a {
			a[i], b[i] = byte(rng.IntN(256)), byte(rng.IntN(256))
		}
		if n > 3 {
			a[0], b[0], a[1], b[1], a[2], b[2] = 255, 255, 0, 255, 255, 0 // the extremes
		}
		for w := 0; w <= 256; w++ {
			d := make([]byte, n)
			blendRow(d, a, b, w)
			for i := range d {
				want := byte((int(a[i])*(256-w) + int(b[i])*w + 128) >> 8)
				require.Equal(t, want, d[i], "n=%d w=%d i=%d", n, w, i)
			}
			inA := append(make([]byte, 0, n), a...)
			blendRow(inA, inA, b, w)
			require.Equal(t, d, inA, "dst = a")
			inB := append(make([]byte, 0, n), b...)
			blendRow(inB, a, inB, w)
			require.Equal(t, d, inB, "dst = b")
		}
	}
}

// TestBlend: exact values at t = 0, 0.25, 0.5 and 1 on every sample of
// an odd-sized picture, in place too.
func TestBlend(t *testing.T) {
	const w, h = 37, 23
	a, b := pattern(t, w, h, 1), pattern(t, w, h, 2)
	out := frame(t, w, h)
	expect := func(t float64, x, y uint8) uint8 {
		switch t {
		case 0:
			return x
		case 1:
			return y
		case 0.5:
			return uint8((int(x) + int(y) + 1) >> 1)
		case 0.25:
			return uint8((int(x)*192 + int(y)*64 + 128) >> 8)
		}
		panic(t)
	}
	for _, tt := range []float64{0, 0.25, 0.5, 1} {
		require.NoError(t, Blend(out, a, b, tt))
		for i := 0; i < 3; i++ {
			pw, ph := w, h
			if i > 0 {
				pw, ph = (w+1)/2, (h+1)/2
			}
			for y := 0; y < ph; y++ {
				for x := 0; x < pw; x++ {
					require.Equal(t, expect(tt, at(a, i, x, y), at(b, i, x, y)), at(out, i, x, y), "t=%v plane %d (%d, %d)", tt, i, x, y)
				}
			}
		}
	}
	// t = 0.5 spelled out on one sample.
	require.NoError(t, Blend(out, solid(t, w, h, yuv{10, 20, 30}), solid(t, w, h, yuv{21, 200, 31}), 0.5))
	require.Equal(t, yuv{16, 110, 31}, pixel(out, 5, 5))

	// In place: dst = a.
	want := frame(t, w, h)
	require.NoError(t, Blend(want, a, b, 0.25))
	require.NoError(t, Blend(a, a, b, 0.25))
	require.Equal(t, planesOf(want), planesOf(a))
	require.Zero(t, testing.AllocsPerRun(20, func() { _ = Blend(out, a, b, 0.7) }))
}

func TestBlendErrors(t *testing.T) {
	a, b, out := frame(t, 64, 36), frame(t, 64, 36), frame(t, 64, 36)
	for _, tt := range []float64{-0.01, 1.01, math.NaN()} {
		require.ErrorContains(t, Blend(out, a, b, tt), "must be 0..1")
	}
	require.ErrorContains(t, Blend(out, a, frame(t, 64, 38), 0.5), "one size")
	require.ErrorContains(t, Blend(frame(t, 62, 36), a, b, 0.5), "one size")
}
