package testpeer

import (
	"encoding/binary"
	"math"
	"testing"
)

// ToneLevels measures, in the first audio stream of path over [from,
// from+dur), the level of each frequency given: the amplitude of a sine at
// that frequency in dBFS (a full-scale sine is 0), averaged over the
// channels. A Hann window keeps tones 100 Hz apart from leaking into each
// other's reading by more than about −90 dB, so a tone that is absent
// reads far below the ones present. Silence reads -Inf.
func ToneLevels(t testing.TB, path string, from, dur float64, freqs ...float64) []float64 {
	t.Helper()
	raw, ch := decodeAudio(t, "ToneLevels", path, from, dur, 1024)
	n := len(raw) / (4 * ch)
	return toneLevels(raw, ch, n, freqs)
}

func toneLevels(raw []byte, ch, n int, freqs []float64) []float64 {
	out := make([]float64, len(freqs))
	x := make([]float64, n)
	for c := 0; c < ch; c++ {
		for i := range x {
			v := float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[(i*ch+c)*4:])))
			x[i] = v * 0.5 * (1 - math.Cos(2*math.Pi*float64(i)/float64(n-1))) // Hann
		}
		for k, f := range freqs {
			// A sine of amplitude A gives |X| = A·N/4 through a Hann window.
			amp := 4 * math.Sqrt(math.Max(goertzel(x, f/toneSampleRate), 0)) / float64(n)
			out[k] += amp / float64(ch)
		}
	}
	for k, a := range out {
		out[k] = 20 * math.Log10(a)
	}
	return out
}
