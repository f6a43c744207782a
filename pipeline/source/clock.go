package source

import (
	"sync/atomic"
	"time"
)

// Clock is the program's monotonic clock. It reads zero when the program
// starts (Start); live captures stamp what they capture with it, so audio
// and video from different devices meet on one timeline. It is safe for
// concurrent use.
type Clock struct {
	start atomic.Pointer[time.Time]
}

// Start sets the program's zero to now. Later calls change nothing.
func (c *Clock) Start() {
	if c.start.Load() != nil {
		return // live sources call this on every read: no allocation then
	}
	now := time.Now()
	c.start.CompareAndSwap(nil, &now)
}

// Started is the wall-clock time of the program's zero (zero Time before Start).
func (c *Clock) Started() time.Time {
	if s := c.start.Load(); s != nil {
		return *s
	}
	return time.Time{}
}

// Now is the program time; ok is false before Start.
func (c *Clock) Now() (now time.Duration, ok bool) {
	s := c.start.Load()
	if s == nil {
		return 0, false
	}
	return time.Since(*s), true
}

// cursor is where a real-time source (capture, guest) is on the program
// clock: the next video frame and audio sample it delivers. It moves to
// the present on the first read and again when the source comes back on
// air (Rejoin), with audio starting where the picture does: catching up
// from where it paused would leave its sound behind its picture for good
// (the picture is always the newest, the sound comes in order).
type cursor struct {
	started      bool
	rejoin       atomic.Bool // set by Rejoin: start again at the present
	nextV, nextA int64
}

// Rejoin implements Rejoiner.
func (c *cursor) Rejoin() { c.rejoin.Store(true) }

// sync moves the cursor to now when it is the first read or the source
// has rejoined.
func (c *cursor) sync(f Format, now time.Duration) {
	if c.started && !c.rejoin.Swap(false) {
		return
	}
	c.started = true
	r := f.FrameRate
	c.nextV = int64(now.Seconds() * float64(r.Num()) / float64(r.Den()))
	n := samplesOf(f.VideoTime(c.nextV), f.SampleRate)
	c.nextA = n - n%AudioFrameSamples
}
