package watermark

import (
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
// included, make no Go allocation. Each counted run is one second of
// frames with its one redraw, so an allocation per redraw shows as 1 per
// run (testing.AllocsPerRun rounds the average down; it also runs on one
// thread, so a stray allocation elsewhere in the process during a -race run
// does not count as ours).
func TestApplyAllocatesNothing(t *testing.T) {
	w, err := New(1280, 720, benchConfig(t))
	require.NoError(t, err)
	defer w.Close()
	f := testsrc2(t)
	draws := w.layers[1].clock.pts
	require.NoError(t, w.Apply(f, 0))
	frame := 0
	second := func() {
		for i := 0; i < 30; i++ {
			frame++
			if err := w.Apply(f, time.Duration(frame)*time.Second/30); err != nil {
				t.Fatal(err)
			}
		}
	}
	allocs := testing.AllocsPerRun(10, second) // plus one warm-up run
	require.Equal(t, draws+11, w.layers[1].clock.pts, "the clock was redrawn once a second")
	require.Zero(t, allocs, "Go allocations per second of frames")
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
