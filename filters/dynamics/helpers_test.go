package dynamics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"studio/filters"
)

const (
	rate  = 48000
	block = 1024
)

// ms is a number of samples at rate.
func ms(v float64) int { return int(math.Round(v * rate / 1000)) }

// sine appends n samples of a sine at freq Hz with the given peak, phase 0
// at its first sample.
func sine(dst []float32, n int, freq, peak float64) []float32 {
	for i := 0; i < n; i++ {
		dst = append(dst, float32(peak*math.Sin(2*math.Pi*freq*float64(i)/rate)))
	}
	return dst
}

func lin(db float64) float64 { return math.Pow(10, db/20) }

// run feeds x (the same on every channel) through st in blocks of size
// and returns each channel's output.
func run(t *testing.T, st filters.Audio, channels int, x []float32, size int) [][]float32 {
	t.Helper()
	out := make([][]float32, channels)
	planes := make([][]float32, channels)
	for off := 0; off < len(x); off += size {
		end := min(off+size, len(x))
		for c := range planes {
			planes[c] = append([]float32(nil), x[off:end]...)
		}
		require.NoError(t, st.Process(planes))
		for c := range out {
			out[c] = append(out[c], planes[c]...)
		}
	}
	return out
}

// stereo makes a block's planes.
func stereo(n int) [][]float32 { return [][]float32{make([]float32, n), make([]float32, n)} }
