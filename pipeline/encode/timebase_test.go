package encode

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/pipeline/media"
)

// TestTicksToDurationMatchesFFmpeg pins the pure-Go timestamp conversion
// used on every frame and packet to av_rescale_q, which it replaces.
func TestTicksToDurationMatchesFFmpeg(t *testing.T) {
	ns := astiav.NewRational(1, int(time.Second))
	bases := [][2]int{{1, 30}, {1001, 30000}, {1, 48000}, {1, 44100}, {1, 1000000}, {1, 90000}, {1, 25}, {1001, 60000}}
	r := rand.New(rand.NewPCG(1, 2))
	for _, b := range bases {
		tb := astiav.NewRational(b[0], b[1])
		for i := 0; i < 2000; i++ {
			ticks := r.Int64N(1<<36) - 1<<35 // about ±9.5 days at 90 kHz
			want := time.Duration(astiav.RescaleQ(ticks, tb, ns))
			require.Equal(t, want, media.TicksToDuration(ticks, b[0], b[1]), "%d × %d/%d", ticks, b[0], b[1])
		}
	}
}

// BenchmarkRescaleQ is the cgo call TicksToDuration replaced, for comparison
// with media.BenchmarkTicksToDuration.
func BenchmarkRescaleQ(b *testing.B) {
	tb, ns := astiav.NewRational(1001, 30000), astiav.NewRational(1, int(time.Second))
	var sink int64
	for i := 0; b.Loop(); i++ {
		sink += astiav.RescaleQ(int64(i), tb, ns)
	}
	_ = sink
}
