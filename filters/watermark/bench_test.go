package watermark

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// benchConfig is the budget's case: a 240 × 80 logo with partial alpha and
// a 28 px clock with a box, on 720p.
func benchConfig(t testing.TB) Config {
	return Config{
		Epoch: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Layers: []Layer{
			{Image: logoPNG(t), Position: TopRight, Margin: 24},
			{Clock: "%Y-%m-%d %H:%M:%S", Zone: "UTC", Size: 28, Box: "#00000080", Padding: 7, Position: BottomRight, Margin: 24},
		},
	}
}

// TestApplyAllocatesNothing: 10 s of frames at 30 fps, clock redraws
// included, make no Go allocation. (Counted over the whole run:
// testing.AllocsPerRun divides by the runs and would round one
// allocation per second down to 0.)
func TestApplyAllocatesNothing(t *testing.T) {
	w, err := New(1280, 720, benchConfig(t))
	require.NoError(t, err)
	defer w.Close()
	f := testsrc2(t)
	const frames = 300
	draws := w.layers[1].clock.pts
	require.NoError(t, w.Apply(f, 0))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 1; i <= frames; i++ {
		if err := w.Apply(f, time.Duration(i)*time.Second/30); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	require.Equal(t, draws+10, w.layers[1].clock.pts, "the clock was redrawn once a second")
	require.Zero(t, after.Mallocs-before.Mallocs, "Go allocations in %d frames", frames)
}

// BenchmarkWatermark720p: one frame per iteration, program time advancing
// 1/30 s, so the clock is redrawn every 30 iterations.
func BenchmarkWatermark720p(b *testing.B) {
	w, err := New(1280, 720, benchConfig(b))
	require.NoError(b, err)
	defer w.Close()
	f := testsrc2(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.Apply(f, time.Duration(i)*time.Second/30); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClockRedraw is the once-a-second cost on its own: each
// iteration is a new second.
func BenchmarkClockRedraw(b *testing.B) {
	w, err := New(1280, 720, benchConfig(b))
	require.NoError(b, err)
	defer w.Close()
	l := &w.layers[1]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := l.tick(time.Duration(i+1) * time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
