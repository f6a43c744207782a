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
// Push never blocks. When the link cannot keep up, video is shed by
// priority, after OBS's rule: with more than DropPolicy.BFrames queued, the
// disposable frames (nothing refers to them) are dropped, queued ones
// included; with more than DropPolicy.PFrames, every frame but keyframes is,
// until the next keyframe, so what is sent stays decodable. Audio is never
// dropped (it is tiny, and gaps in it are what viewers notice first), only
// bounded by a hard packet cap.
//
// An audio-only queue (SetAudioOnly: a mix-minus return feed) has no
// picture to shed, so it sheds audio instead: a packet that would make the
// span exceed DropPolicy.Limit (or the queue reach the hard cap) pushes out
// the oldest queued packets, whole AAC frames, each one decodable on its
// own. The destination then hears a jump forward rather than falling ever
// further behind, and Push still never blocks. Keyframe waits do not apply:
// every audio packet is a keyframe.
type Queue struct {
	pol DropPolicy

	mu      sync.Mutex
	items   []*media.Packet // ring buffer
	head, n int
	closed  bool
	// minPriority: incoming video below it is dropped until a frame at or
	// above it arrives (OBS's min_priority).
	minPriority media.Priority
	// paused: the destination is down; everything pushed is discarded.
	paused bool
	// starting: the stream waits for its first keyframe (after connecting
	// or reconnecting). The frames dropped until then are not counted: they
	// are the start of a stream, not losses to congestion, which is what
	// frames_dropped tells the streamer and adaptive bitrate.
	starting bool
	// holdAudio: after a reconnect, audio waits for that keyframe too, so
	// that sound and picture start together.
	holdAudio bool
	// audioOnly: the stream has no video (SetAudioOnly).
	audioOnly bool
	dropped   int64
	notEmpty  chan struct{} // 1-slot wake-up for Pop
}

// DropPolicy says when a queue sheds video. Zero thresholds are off.
type DropPolicy struct {
	// BFrames: above this span, disposable frames are dropped.
	BFrames time.Duration
	// PFrames: above this span, everything but keyframes is dropped until
	// the next keyframe.
	PFrames time.Duration
	// Limit is the hard cap: above it even keyframes are refused.
	Limit time.Duration
}

// hardCap bounds the queue whatever the media span (e.g. audio-only floods).
const hardCap = 8192

// NewQueue makes a queue that sheds video as pol says.
func NewQueue(pol DropPolicy) *Queue {
	return &Queue{pol: pol, items: make([]*media.Packet, 256), notEmpty: make(chan struct{}, 1)}
}

// Push enqueues p, taking over one reference (released if p is dropped).
func (q *Queue) Push(p *media.Packet) {
	q.mu.Lock()
	if q.closed || q.paused || !q.admit(p) {
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

// SetAudioOnly says whether the stream has no video; see Queue. Call
// before the first Push.
func (q *Queue) SetAudioOnly(on bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.audioOnly = on
}

// admit decides whether p enters the queue, shedding queued video first
// when the span is over a threshold; called with mu held.
func (q *Queue) admit(p *media.Packet) bool {
	if q.audioOnly {
		q.shedOldest(p)
		return true
	}
	if q.n >= hardCap {
		if p.Kind == media.Video {
			q.dropped++
			q.minPriority = media.PriorityHighest
		}
		return false
	}
	if p.Kind != media.Video {
		return !q.holdAudio
	}
	span := q.spanLocked()
	if q.pol.BFrames > 0 && span > q.pol.BFrames {
		q.shed(media.PriorityHigh)
	}
	if q.pol.PFrames > 0 && span > q.pol.PFrames {
		q.shed(media.PriorityHighest)
	}
	if q.pol.Limit > 0 && span > q.pol.Limit {
		q.minPriority = media.PriorityHighest
		q.dropped++
		return false
	}
	if p.Priority < q.minPriority {
		if !q.starting {
			q.dropped++
		}
		return false
	}
	q.minPriority = media.PriorityDisposable
	if p.Key {
		q.starting, q.holdAudio = false, false
	}
	return true
}

// shedOldest makes room for p in an audio-only queue: it drops packets
// from the front while the span from the oldest to p would exceed the
// limit, or the queue is full; called with mu held.
func (q *Queue) shedOldest(p *media.Packet) {
	for q.n > 0 && (q.n >= hardCap || q.pol.Limit > 0 && p.DTS-q.items[q.head].DTS > q.pol.Limit) {
		q.items[q.head].Release()
		q.items[q.head] = nil
		q.head = (q.head + 1) % len(q.items)
		q.n--
		q.dropped++
	}
}

// shed drops queued video below prio and makes incoming video below it
// wait for a frame at or above it (OBS's drop_frames).
func (q *Queue) shed(prio media.Priority) {
	q.dropped += q.dropVideo(func(p *media.Packet) bool { return p.Priority < prio })
	q.minPriority = max(q.minPriority, prio)
}

// dropVideo releases the queued video packets drop picks, in order, closes
// the gaps and says how many went; called with mu held.
func (q *Queue) dropVideo(drop func(*media.Packet) bool) int64 {
	kept, n := 0, int64(0)
	for i := 0; i < q.n; i++ {
		p := q.items[(q.head+i)%len(q.items)]
		if p.Kind == media.Video && drop(p) {
			n++
			p.Release()
			continue
		}
		q.items[(q.head+kept)%len(q.items)] = p
		kept++
	}
	for i := kept; i < q.n; i++ {
		q.items[(q.head+i)%len(q.items)] = nil
	}
	q.n = kept
	return n
}

// Pause discards what is queued and everything pushed from now on, until
// Resync: the destination is down, and what happens meanwhile would only
// arrive late.
func (q *Queue) Pause() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.paused = true
	q.releaseAllLocked()
}

// Resync starts the queue afresh after a reconnect: it is emptied, video
// waits for the next keyframe, and audio waits for that keyframe too. An
// audio-only queue takes audio again at once.
func (q *Queue) Resync() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.releaseAllLocked()
	q.paused = false
	if q.audioOnly {
		return
	}
	q.minPriority = media.PriorityHighest
	q.starting, q.holdAudio = true, true
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

// RequireKeyframe drops queued video up to the next keyframe: a stream
// must start on one. Those frames are not counted as dropped. An
// audio-only queue has nothing to wait for.
func (q *Queue) RequireKeyframe() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.audioOnly {
		return
	}
	seenKey := false
	q.dropVideo(func(p *media.Packet) bool {
		seenKey = seenKey || p.Key
		return !seenKey
	})
	if !seenKey { // until one comes, what is dropped is the start, not a loss
		q.minPriority, q.starting = media.PriorityHighest, true
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

// AudioOnly says whether the queue carries a stream without video.
func (q *Queue) AudioOnly() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.audioOnly
}

// Policy is the queue's drop policy.
func (q *Queue) Policy() DropPolicy { return q.pol }

// Dropped counts video frames dropped so far (audio frames, for an
// audio-only queue).
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
	q.releaseAllLocked()
}

func (q *Queue) releaseAllLocked() {
	for q.n > 0 {
		q.items[q.head].Release()
		q.items[q.head] = nil
		q.head = (q.head + 1) % len(q.items)
		q.n--
	}
}
