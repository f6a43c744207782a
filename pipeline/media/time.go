package media

import (
	"math"
	"math/bits"
	"time"
)

// TicksToDuration converts a timestamp in time base num/den to a duration,
// rounding to the nearest nanosecond with halves away from zero, exactly as
// FFmpeg's av_rescale_q does. It is plain Go: stamping every frame and
// packet through astiav.RescaleQ would cost a cgo call each.
func TicksToDuration(ticks int64, num, den int) time.Duration {
	if num <= 0 || den <= 0 {
		return 0
	}
	mag := uint64(ticks)
	if ticks < 0 {
		mag = -mag
	}
	// ticks × num × 1e9 / den in 128 bits, so long runs cannot overflow.
	hi, lo := bits.Mul64(mag, uint64(num)*uint64(time.Second))
	lo, carry := bits.Add64(lo, uint64(den)/2, 0)
	hi += carry
	if hi >= uint64(den) {
		if ticks < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(den))
	if q > math.MaxInt64 {
		q = math.MaxInt64
	}
	if ticks < 0 {
		return -time.Duration(q)
	}
	return time.Duration(q)
}
