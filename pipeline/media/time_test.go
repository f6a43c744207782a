package media

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTicksToDuration(t *testing.T) {
	cases := []struct {
		ticks    int64
		num, den int
		want     time.Duration
	}{
		{0, 1, 30, 0},
		{1, 1, 30, 33333333},                          // 33.333333… ms rounds down
		{2, 1, 30, 66666667},                          // 66.666666… ms rounds up
		{1, 1001, 30000, 33366667},                    // NTSC frame
		{-1024, 1, 48000, -21333333},                  // AAC priming, negative
		{48000, 1, 48000, time.Second},                // one second of samples
		{1, 1, 2_000_000_000, 1},                      // 0.5 ns rounds half away from zero
		{-1, 1, 2_000_000_000, -1},                    // … on both sides
		{24 * 3600 * 48000, 1, 48000, 24 * time.Hour}, // a day of audio: no overflow
		{math.MaxInt64, 1, 1, math.MaxInt64},          // saturates
		{math.MinInt64 + 1, 1, 1, math.MinInt64},
		{5, 0, 30, 0}, // invalid time base
	}
	for _, c := range cases {
		require.Equal(t, c.want, TicksToDuration(c.ticks, c.num, c.den), "%d × %d/%d", c.ticks, c.num, c.den)
	}
}

func BenchmarkTicksToDuration(b *testing.B) {
	b.ReportAllocs()
	var sink time.Duration
	for i := 0; b.Loop(); i++ {
		sink += TicksToDuration(int64(i), 1001, 30000)
	}
	_ = sink
}
