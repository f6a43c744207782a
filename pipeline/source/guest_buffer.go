package source

import (
	"sync"
	"time"

	"github.com/asticode/go-astiav"
)

// guestBuffer is a guest's jitter buffer: the pictures and audio blocks a
// connection has decoded and converted, each stamped with the program
// time it is due at, waiting for the program clock to reach it.
//
// A connection's input time maps to program time by one offset, the same
// for its audio and its video, so that they stay in sync with each other:
// program time = input time + offset. The offset is chosen when the first
// frame of a connection arrives, so that the frame is due Jitter after it
// arrived (now + Jitter − input time). A connection's first frames come
// in a burst (what FFmpeg buffered while it probed the stream, a wait for
// a key frame), so until Jitter has passed the offset still comes down to
// whichever frame arrived least late: the anchor is the live edge, not
// the oldest frame of the burst. Nothing has played yet then.
//
// After that the offset only changes when the guest stalls or drifts
// (re-anchoring, counted): a frame that arrives later than its slot by
// more than Jitter (a stall), or ahead of it by more than Jitter +
// guestDriftMax (a burst after a stall, a guest whose clock is faster than
// the program's), moves the offset to put that frame Jitter ahead again;
// and when the least late frame of guestDriftWindow arrived less than
// Jitter/4 ahead of its slot (a slower clock, a longer network path), the
// offset moves later to give it Jitter again, before frames come too late
// to play. What is queued moves with the offset: pictures that fall into
// the past are skipped, blocks are dropped, and a later offset leaves a
// gap that plays as silence.
//
// All times here are in samples of the program rate, an exact unit for
// audio blocks and fine enough for pictures, and the offset is a whole
// number of audio blocks, so that a guest's blocks land on the program's
// block grid exactly.
type guestBuffer struct {
	jitter   int64 // the buffer depth a frame arrives with
	maxDepth int64 // jitter + guestDriftMax: deeper is drift
	window   int64 // guestDriftWindow
	keepA    int64 // how long a block is kept after its time (guestAudioKeep)
	keepV    int64 // how long a superseded picture is kept (guestVideoKeep)
	maxV     int   // pictures queued at most
	maxA     int   // blocks queued at most

	mu          sync.Mutex
	video       frameQueue // oldest first; Pts is the program time in samples
	audio       frameQueue
	anchored    bool  // the current connection has its offset
	offset      int64 // program sample = input sample + offset
	settleUntil int64 // until this time the offset may still come down
	winStart    int64 // when the current drift window began; -1: none yet
	winMax      int64 // how far ahead of its slot the least late frame of the window arrived
	lastPicture int64 // when the newest picture arrived; -1: none yet
	reanchors   int64
}

// Jitter-buffer timings.
const (
	// DefaultGuestJitter is the jitter buffer depth when the config leaves it zero.
	DefaultGuestJitter = 200 * time.Millisecond
	// guestDriftMax is how far past Jitter the buffer may grow before the
	// guest is re-anchored.
	guestDriftMax = 500 * time.Millisecond
	// guestDriftWindow is the span over which the least late frame is
	// taken as how far ahead the guest arrives (jitter only delays frames).
	guestDriftWindow = 500 * time.Millisecond
	// guestAudioKeep is how long a block is kept after its time, for a
	// reader that is late (a busy program); older ones are dropped.
	guestAudioKeep = time.Second
	// guestVideoKeep is how long a picture that a newer due one has
	// superseded is kept, for a reader that is late.
	guestVideoKeep = 100 * time.Millisecond
)

func newGuestBuffer(f Format, jitter time.Duration) *guestBuffer {
	rate := f.SampleRate
	b := &guestBuffer{
		jitter:      samplesOf(jitter, rate),
		maxDepth:    samplesOf(jitter+guestDriftMax, rate),
		window:      samplesOf(guestDriftWindow, rate),
		keepA:       samplesOf(guestAudioKeep, rate),
		keepV:       samplesOf(guestVideoKeep, rate),
		winStart:    -1,
		lastPicture: -1,
	}
	// What can be queued: the deepest buffer allowed, what a late reader
	// may still take, and some slack.
	span := (jitter + guestDriftMax + guestVideoKeep).Seconds()
	b.maxV = int(span*f.FrameRate.Float64()) + 8
	b.maxA = int((jitter+guestDriftMax+guestAudioKeep).Seconds()*float64(rate))/AudioFrameSamples + 8
	return b
}

// samplesOf is d in samples at rate (toward zero), without overflow for
// any program length.
func samplesOf(d time.Duration, rate int) int64 {
	return int64(d/time.Second)*int64(rate) + int64(d%time.Second)*int64(rate)/int64(time.Second)
}

// blockRound rounds n samples to the nearest whole audio block.
func blockRound(n int64) int64 {
	const b = AudioFrameSamples
	q := (n + b/2) / b
	if n+b/2 < 0 && (n+b/2)%b != 0 {
		q-- // floor for negatives
	}
	return q * b
}

// connect starts a new connection: its first frame sets a new offset.
// What the previous connection queued plays out as it was stamped.
func (b *guestBuffer) connect() {
	b.mu.Lock()
	b.anchored = false
	b.mu.Unlock()
}

// put queues the converted frame f (its reference is moved out of f,
// which is left blank) that is input sample x of its connection, arriving
// at program sample now. It reports whether the guest was re-anchored.
func (b *guestBuffer) put(f *astiav.Frame, video bool, x, now int64) (reanchored bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	want := blockRound(now + b.jitter - x) // the offset that puts f Jitter ahead
	switch {
	case !b.anchored:
		b.anchored, b.offset, b.settleUntil, b.winStart = true, want, now+b.jitter, -1
	case now < b.settleUntil:
		if want < b.offset {
			b.shift(want - b.offset)
		}
	default:
		ahead := x + b.offset - now
		switch {
		case -ahead > b.jitter || ahead > b.maxDepth:
			b.reanchor(want-b.offset, now)
			reanchored = true
		case b.winStart < 0:
			b.winStart, b.winMax = now, ahead
		case now-b.winStart >= b.window:
			if m := max(b.winMax, ahead); m < b.jitter/4 {
				b.reanchor(blockRound(b.jitter-m), now)
				reanchored = true
			} else {
				b.winStart, b.winMax = now, ahead
			}
		default:
			b.winMax = max(b.winMax, ahead)
		}
	}
	p := x + b.offset
	q := &b.audio
	if video {
		q = &b.video
		b.lastPicture = now
	}
	// Keep the queue in time order: what an earlier connection queued for
	// the same times gives way to the new one.
	for q.len() > 0 && q.items[q.len()-1].Pts() >= p {
		n := q.len() - 1
		q.drop(q.items[n])
		q.items = q.items[:n]
	}
	slot := q.slot()
	slot.MoveRef(f)
	slot.SetPts(p)
	q.push(slot)
	b.prune(now)
	return reanchored
}

// reanchor moves the offset by delta, counted, and lets it settle.
func (b *guestBuffer) reanchor(delta, now int64) {
	b.shift(delta)
	b.settleUntil, b.winStart = now+b.jitter, -1
	b.reanchors++
}

// shift moves the offset and everything queued by delta samples. Call with mu held.
func (b *guestBuffer) shift(delta int64) {
	b.offset += delta
	for _, q := range []*frameQueue{&b.video, &b.audio} {
		for _, f := range q.items {
			f.SetPts(f.Pts() + delta)
		}
	}
}

// prune drops what nobody will take: pictures superseded by a newer due
// one a while ago, blocks long past, and the oldest beyond the caps (a
// reader that is off air). Call with mu held.
func (b *guestBuffer) prune(now int64) {
	for b.video.len() > 1 && b.video.items[1].Pts() <= now-b.keepV || b.video.len() > b.maxV {
		b.video.drop(b.video.pop())
	}
	for b.audio.len() > 0 && b.audio.head().Pts()+AudioFrameSamples <= now-b.keepA || b.audio.len() > b.maxA {
		b.audio.drop(b.audio.pop())
	}
}

// takeVideo returns the newest picture due at sample due, recycling held
// (the caller's current picture) when there is one; otherwise held, and
// took is false. since is how long ago (in samples, at program sample now)
// the newest picture arrived, -1 before the first.
func (b *guestBuffer) takeVideo(due, now int64, held *astiav.Frame) (_ *astiav.Frame, took bool, since int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.video.len() > 0 && b.video.head().Pts() <= due {
		f := b.video.pop()
		if held != nil {
			b.video.drop(held)
		}
		held, took = f, true
	}
	since = -1
	if b.lastPicture >= 0 {
		since = now - b.lastPicture
	}
	return held, took, since
}

// takeAudio returns the block for the slot starting at sample slot, or
// nil. A block within half a block of the slot takes it; older ones are
// dropped (silence stood in for them). The caller owns the block until it
// gives it back with recycle.
func (b *guestBuffer) takeAudio(slot int64) *astiav.Frame {
	const half = AudioFrameSamples / 2
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.audio.len() > 0 && b.audio.head().Pts() < slot-half {
		b.audio.drop(b.audio.pop())
	}
	if b.audio.len() > 0 && b.audio.head().Pts() < slot+half {
		return b.audio.pop()
	}
	return nil
}

// recycle takes back a block given out by takeAudio, or (video) a
// picture given out by takeVideo, into the pool it came from.
func (b *guestBuffer) recycle(f *astiav.Frame, video bool) {
	b.mu.Lock()
	if video {
		b.video.drop(f)
	} else {
		b.audio.drop(f)
	}
	b.mu.Unlock()
}

// sincePicture is how long ago (in samples, at program sample now) the
// newest picture arrived; ok is false before the first.
func (b *guestBuffer) sincePicture(now int64) (since int64, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lastPicture < 0 {
		return 0, false
	}
	return now - b.lastPicture, true
}

// reanchored is how many times the guest has been re-anchored.
func (b *guestBuffer) reanchored() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reanchors
}

// close frees everything queued.
func (b *guestBuffer) close() {
	b.mu.Lock()
	b.video.close()
	b.audio.close()
	b.mu.Unlock()
}
