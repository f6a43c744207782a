package output

import (
	"context"
	"sync"
	"time"

	"studio/pipeline/media"
)

// Queue is an output's bounded send queue, measured in media time (the DTS
// span between its oldest and newest packet) rather than bytes, so "how far
// behind live is this destination" is one number.
//
// Push never blocks: when the span is over the limit, new video is dropped
// and the queue waits for the next keyframe once there is room again, so the
// viewer sees a clean GOP instead of smeared references. Audio is always kept
// (it is tiny, and gaps in it are what viewers notice first), bounded only by
// a hard packet cap.
type Queue struct {
	limit time.Duration

	mu       sync.Mutex
	items    []*media.Packet // ring buffer
	head, n  int
	closed   bool
	waitKey  bool
	dropped  int64
	notEmpty chan struct{} // 1-slot wake-up for Pop
}

// hardCap bounds the queue whatever the media span (e.g. audio-only floods).
const hardCap = 8192

// NewQueue makes a queue holding at most limit of media time.
func NewQueue(limit time.Duration) *Queue {
	return &Queue{limit: limit, items: make([]*media.Packet, 256), notEmpty: make(chan struct{}, 1)}
}

// Push enqueues p, taking over one reference (released if p is dropped).
func (q *Queue) Push(p *media.Packet) {
	q.mu.Lock()
	if q.closed || !q.admit(p) {
		q.mu.Unlock()
		p.Release()
		return
	}
	if q.n == len(q.items) {
		q.grow()
	}
	q.items[(q.head+q.n)%len(q.items)] = p
	q.n++
	q.mu.Unlock()
	select {
	case q.notEmpty <- struct{}{}:
	default:
	}
}

// admit decides whether p enters the queue; called with mu held.
func (q *Queue) admit(p *media.Packet) bool {
	if q.n >= hardCap {
		if p.Kind == media.Video {
			q.dropped++
			q.waitKey = true
		}
		return false
	}
	if p.Kind != media.Video {
		return true
	}
	over := q.spanLocked() > q.limit
	if q.waitKey && p.Key && !over {
		q.waitKey = false
	}
	if over {
		q.waitKey = true
	}
	if q.waitKey {
		q.dropped++
		return false
	}
	return true
}

func (q *Queue) grow() {
	items := make([]*media.Packet, len(q.items)*2)
	for i := 0; i < q.n; i++ {
		items[i] = q.items[(q.head+i)%len(q.items)]
	}
	q.items, q.head = items, 0
}

// Pop waits for the next packet. It returns false when ctx is done, or when
// the queue is closed and empty.
func (q *Queue) Pop(ctx context.Context) (*media.Packet, bool) {
	for {
		q.mu.Lock()
		if q.n > 0 {
			p := q.items[q.head]
			q.items[q.head] = nil
			q.head = (q.head + 1) % len(q.items)
			q.n--
			q.mu.Unlock()
			return p, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		select {
		case <-q.notEmpty:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// RequireKeyframe drops queued video up to the next keyframe: after a
// reconnect the server must see a keyframe first.
func (q *Queue) RequireKeyframe() {
	q.mu.Lock()
	defer q.mu.Unlock()
	kept := 0
	seenKey := false
	for i := 0; i < q.n; i++ {
		p := q.items[(q.head+i)%len(q.items)]
		if p.Kind == media.Video && !seenKey {
			if p.Key {
				seenKey = true
			} else {
				q.dropped++
				p.Release()
				continue
			}
		}
		q.items[(q.head+kept)%len(q.items)] = p
		kept++
	}
	for i := kept; i < q.n; i++ {
		q.items[(q.head+i)%len(q.items)] = nil
	}
	q.n = kept
	if !seenKey {
		q.waitKey = true
	}
}

// Span is the media time the queue holds.
func (q *Queue) Span() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.spanLocked()
}

func (q *Queue) spanLocked() time.Duration {
	if q.n < 2 {
		return 0
	}
	first := q.items[q.head].DTS
	last := q.items[(q.head+q.n-1)%len(q.items)].DTS
	if last < first {
		return 0
	}
	return last - first
}

// Limit is the configured maximum span.
func (q *Queue) Limit() time.Duration { return q.limit }

// Dropped counts video frames dropped so far.
func (q *Queue) Dropped() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Close stops accepting packets; Pop drains what is queued, then returns false.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.notEmpty <- struct{}{}:
	default:
	}
}

// Discard releases everything still queued.
func (q *Queue) Discard() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n > 0 {
		q.items[q.head].Release()
		q.items[q.head] = nil
		q.head = (q.head + 1) % len(q.items)
		q.n--
	}
}
