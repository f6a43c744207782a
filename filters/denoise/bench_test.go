package denoise

import (
	"math/rand/v2"
	"testing"

	"studio/filters/dynamics"
)

// benchAudio is 100 blocks of stereo noise with clicks to cycle through, so
// afftdn sees changing input.
func benchAudio() (src [][]float32, block [][]float32) {
	src, _ = clicks(100 * 1024)
	return src, [][]float32{make([]float32, 1024), make([]float32, 1024)}
}

// BenchmarkAudioDenoise is one 1024-sample stereo block at 48 kHz.
func BenchmarkAudioDenoise(b *testing.B) {
	a, err := NewAudio(rate, 2, DefaultAudioConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	src, p := benchAudio()
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		off := (k % 100) * 1024
		k++
		copy(p[0], src[0][off:])
		copy(p[1], src[1][off:])
		if err := a.Process(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAudioChain is the whole strip the budget is for: denoise, gate
// and limiter on one 1024-sample stereo block (≤ 0.5 ms, no allocations).
func BenchmarkAudioChain(b *testing.B) {
	a, err := NewAudio(rate, 2, DefaultAudioConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	g, err := dynamics.NewGate(rate, 2, dynamics.DefaultGateConfig())
	if err != nil {
		b.Fatal(err)
	}
	l, err := dynamics.NewLimiter(rate, 2, dynamics.DefaultLimiterConfig())
	if err != nil {
		b.Fatal(err)
	}
	src, p := benchAudio()
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		off := (k % 100) * 1024
		k++
		copy(p[0], src[0][off:])
		copy(p[1], src[1][off:])
		if err := a.Process(p); err != nil {
			b.Fatal(err)
		}
		if err := g.Process(p); err != nil {
			b.Fatal(err)
		}
		if err := l.Process(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVideoDenoise720p is one 1280×720 yuv420p frame at the default
// strength.
func BenchmarkVideoDenoise720p(b *testing.B) {
	v, err := NewVideo(1280, 720, DefaultVideoConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	f := yuvFrame(b, 1280, 720)
	noisy(f, rand.New(rand.NewPCG(1, 2)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Apply(f, 0); err != nil {
			b.Fatal(err)
		}
	}
}
