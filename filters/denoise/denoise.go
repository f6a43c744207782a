// Package denoise owns noise reduction: Audio runs FFmpeg's afftdn on
// planar float blocks at a constant latency, with a noise-floor tracker of
// its own in front (FFmpeg 5.1's afftdn cannot follow an unknown floor by
// itself); Video runs FFmpeg's hqdn3d on yuv420p frames in place, without
// latency. Both go through filters.Graph, take their strength live from
// any goroutine and allocate nothing per block or frame in steady state.
package denoise

import (
	"math"
	"sync/atomic"
)

// atomicFloat is a float64 shared between a control goroutine (setters)
// and the processing goroutine.
type atomicFloat struct{ bits atomic.Uint64 }

func (a *atomicFloat) Load() float64   { return math.Float64frombits(a.bits.Load()) }
func (a *atomicFloat) Store(v float64) { a.bits.Store(math.Float64bits(v)) }

// clamp01 limits a strength to 0..1; ok is false for NaN.
func clamp01(v float64) (c float64, ok bool) {
	if math.IsNaN(v) {
		return 0, false
	}
	return min(max(v, 0), 1), true
}
