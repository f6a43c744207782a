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
