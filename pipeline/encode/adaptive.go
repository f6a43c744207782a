package encode

import "time"

// Adaptive decides the video bitrate from how the destinations keep up
// (adaptive bitrate, OBS's "dynamic bitrate"): when a destination stays
// congested it lowers the target to what that link carried, rounded down to
// 100 kb/s and never below Min; once every queue has stayed empty for a
// while it climbs back in steps of a tenth of Max. It is pure arithmetic
// over samples; the engine feeds it and applies the target (SetBitrate).
type Adaptive struct {
	// Max is the preset's bitrate, Min the floor, Audio the audio bitrate
	// that shares the link (all bits per second).
	Max, Min, Audio int64
	// Congested is the queue span over which a link counts as congested
	// (half the first drop threshold: act before frames go).
	Congested time.Duration

	target      int64
	congested   int     // consecutive congested samples
	carried     float64 // sum of the slowest link's throughput over them
	clear       int     // consecutive samples with every queue empty
	holdUntil   time.Duration
	lastCut     time.Duration
	initialized bool
}

// LinkSample is one destination over the last sample interval.
type LinkSample struct {
	Queue time.Duration // queued media now
	Bps   float64       // bits per second it sent over the interval
	Drops int64         // frames it dropped over the interval
}

// Timing of the controller, in samples of AdaptiveInterval.
const (
	// AdaptiveInterval is how often the engine samples its destinations.
	AdaptiveInterval = 500 * time.Millisecond
	// congestedSamples of congestion in a row (1 s) lower the target.
	congestedSamples = 2
	// holdAfterCut lets the queue drain before judging again.
	holdAfterCut = 2 * time.Second
	// raiseAfterCut: the first step up waits this long after a cut, so
	// that a link that is still narrow is not probed every few seconds.
	raiseAfterCut = 10 * time.Second
	// clearSamples of empty queues (3 s) raise the target one step.
	clearSamples = 6
	// emptyQueue: a flowing queue holds a frame or two, not more.
	emptyQueue = 150 * time.Millisecond
	// headroom: aim under the measured rate, so the queue drains.
	headroom = 0.9
)

// Target is the bitrate now (Max until the first cut).
func (a *Adaptive) Target() int64 {
	if !a.initialized {
		return a.Max
	}
	return a.target
}

// Reset goes back to Max (a new stream starts).
func (a *Adaptive) Reset() {
	*a = Adaptive{Max: a.Max, Min: a.Min, Audio: a.Audio, Congested: a.Congested}
}

// Sample takes one sample of every live destination at program time now
// and returns the target and whether it changed. With no live destination
// nothing changes.
func (a *Adaptive) Sample(now time.Duration, links []LinkSample) (int64, bool) {
	if !a.initialized {
		a.target, a.initialized = a.Max, true
	}
	if len(links) == 0 {
		a.congested, a.carried, a.clear = 0, 0, 0
		return a.target, false
	}
	slowest, congested, empty := -1.0, false, true
	for _, l := range links {
		if l.Queue > a.Congested || l.Drops > 0 {
			congested = true
			if slowest < 0 || l.Bps < slowest {
				slowest = l.Bps
			}
		}
		if l.Queue > emptyQueue || l.Drops > 0 {
			empty = false
		}
	}
	switch {
	case congested:
		a.clear = 0
		a.congested++
		a.carried += slowest
		if a.congested < congestedSamples || now < a.holdUntil {
			return a.target, false
		}
		carried := a.carried / float64(a.congested)
		a.congested, a.carried = 0, 0
		next := max(roundDown100k(int64(carried*headroom)-a.Audio), a.Min)
		if next >= a.target {
			// The link carries what is sent now: the queue is draining
			// (after a cut) or the floor is reached.
			return a.target, false
		}
		a.holdUntil, a.lastCut = now+holdAfterCut, now
		return a.set(next)
	case empty:
		a.congested, a.carried = 0, 0
		a.clear++
		if a.clear < clearSamples || a.target >= a.Max || now < a.lastCut+raiseAfterCut {
			return a.target, false
		}
		a.clear = 0
		return a.set(min(a.target+a.Max/10, a.Max))
	default:
		a.congested, a.carried, a.clear = 0, 0, 0
		return a.target, false
	}
}

func (a *Adaptive) set(bps int64) (int64, bool) {
	changed := bps != a.target
	a.target = bps
	return bps, changed
}

func roundDown100k(bps int64) int64 { return max(bps, 0) / 100_000 * 100_000 }
