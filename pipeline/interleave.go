package pipeline

import (
	"time"

	"studio/pipeline/media"
)

// interleaver orders encoded packets by DTS across the two encoders. The
// video encoder holds frames back (lookahead, B-frames) while AAC does not,
// so without this the outputs would see audio far ahead of video; servers
// and recordings want them interleaved.
type interleaver struct {
	emit      func(*media.Packet)
	held      []*media.Packet // audio waiting for video to catch up
	lastVideo time.Duration
	seenVideo bool
}

// maxHold bounds how far audio may wait for video (a stuck video encoder
// must not hold audio forever).
const maxHold = 2 * time.Second

func (i *interleaver) push(p *media.Packet) {
	if p.Kind == media.Video {
		i.seenVideo = true
		i.lastVideo = p.DTS
		i.release(func(a *media.Packet) bool { return a.DTS <= p.DTS })
		i.emit(p)
		return
	}
	if i.seenVideo && p.DTS <= i.lastVideo && len(i.held) == 0 {
		i.emit(p)
		return
	}
	i.held = append(i.held, p)
	if first := i.held[0]; p.DTS-first.DTS > maxHold {
		i.release(func(a *media.Packet) bool { return p.DTS-a.DTS > maxHold })
	}
}

// release emits held audio from the front while ok says so.
func (i *interleaver) release(ok func(*media.Packet) bool) {
	n := 0
	for n < len(i.held) && ok(i.held[n]) {
		i.emit(i.held[n])
		n++
	}
	if n > 0 {
		copy(i.held, i.held[n:])
		for j := len(i.held) - n; j < len(i.held); j++ {
			i.held[j] = nil
		}
		i.held = i.held[:len(i.held)-n]
	}
}

// flush emits everything still held.
func (i *interleaver) flush() {
	i.release(func(*media.Packet) bool { return true })
}

// reset emits what is held and forgets the video position: the next
// encoder session starts a new timeline.
func (i *interleaver) reset() {
	i.flush()
	i.seenVideo, i.lastVideo = false, 0
}
