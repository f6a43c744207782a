package composite

import (
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
)

// benchComposite composes the host+3 scene on a w × h program: the host
// full frame (copied) and three guests scaled from program-size pictures
// into their 3:4 tiles, one frame per iteration.
func benchComposite(b *testing.B, w, h int) {
	rects, err := Layout("host+3", w, h, 4)
	require.NoError(b, err)
	layers := LayersFor(rects)
	pics := make([]*astiav.Frame, len(layers))
	for i := range pics {
		pics[i] = pattern(b, w, h, i)
	}
	c := compositor(b, Options{Width: w, Height: h})
	out := frame(b, w, h)
	require.NoError(b, c.Compose(out, layers, pics))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Compose(out, layers, pics); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposite4Up720p: budget 3 ms per frame, 0 allocations.
func BenchmarkComposite4Up720p(b *testing.B) { benchComposite(b, 1280, 720) }

// BenchmarkComposite4Up1080p: budget 6 ms per frame, 0 allocations.
func BenchmarkComposite4Up1080p(b *testing.B) { benchComposite(b, 1920, 1080) }

// BenchmarkBlend720p: one fade step of two 720p pictures into a third.
func BenchmarkBlend720p(b *testing.B) {
	x, y, out := pattern(b, 1280, 720, 1), pattern(b, 1280, 720, 2), frame(b, 1280, 720)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Blend(out, x, y, 0.3); err != nil {
			b.Fatal(err)
		}
	}
}
