package dynamics

import (
	"math/rand/v2"
	"testing"
)

// benchBlock is a stereo 1024-sample block of speech-like level noise with
// peaks over the limiter's ceiling, so every stage does its real work.
func benchBlock() [][]float32 {
	rng := rand.New(rand.NewPCG(1, 1))
	p := stereo(block)
	for c := range p {
		for i := range p[c] {
			p[c][i] = float32(0.4 * rng.NormFloat64())
		}
	}
	return p
}

func BenchmarkGate(b *testing.B) {
	g, err := NewGate(rate, 2, DefaultGateConfig())
	if err != nil {
		b.Fatal(err)
	}
	src, p := benchBlock(), stereo(block)
	b.ReportAllocs()
	for b.Loop() {
		copy(p[0], src[0])
		copy(p[1], src[1])
		if err := g.Process(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLimiter(b *testing.B) {
	l, err := NewLimiter(rate, 2, DefaultLimiterConfig())
	if err != nil {
		b.Fatal(err)
	}
	src, p := benchBlock(), stereo(block)
	for c := range src {
		for i := range src[c] {
			src[c][i] *= 3 // limiting most of the time
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		copy(p[0], src[0])
		copy(p[1], src[1])
		if err := l.Process(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGain(b *testing.B) {
	g, err := NewGain(rate, 2, GainConfig{GainDB: -3})
	if err != nil {
		b.Fatal(err)
	}
	p := benchBlock()
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Process(p); err != nil {
			b.Fatal(err)
		}
	}
}
