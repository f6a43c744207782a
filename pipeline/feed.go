package pipeline

import (
	"fmt"

	"github.com/asticode/go-astiav"

	"studio/pipeline/source"
)

// feed is a source's reading state (Read's goroutine only): what it has
// read ahead of the program (pictures and audio blocks, each a
// reference), its offsets onto the program timeline, and the picture on
// air.
type feed struct {
	onAir   bool
	started bool // read at least once (a live source rejoins only after)

	rebaseV, rebaseA bool
	offV, offA       int64

	pics, blocks frameRing
	// last is the newest picture due (a reference): shown again while the
	// source is late, held when it ends in the console.
	last    *astiav.Frame
	hasLast bool
}

func newFeed() feed {
	return feed{pics: newFrameRing(), blocks: newFrameRing(), last: astiav.AllocFrame()}
}

// picture is the picture to show, or nil when there has been none.
func (fd *feed) picture() *astiav.Frame {
	if !fd.hasLast {
		return nil
	}
	return fd.last
}

// pickPicture makes the newest picture due at frame n the one on air and
// drops older ones; with none due, the last one stays.
func (fd *feed) pickPicture(n int64) {
	for {
		f, pts, ok := fd.pics.oldest()
		if !ok || pts > n {
			return
		}
		fd.last.Unref()
		fd.last.MoveRef(f)
		fd.hasLast = true
		fd.pics.drop()
	}
}

// block returns the audio block that starts at sample n (within half a
// block: a source's blocks need not sit exactly on the program's grid),
// dropping older ones, or nil when the source has none there. It stays
// valid until the next call.
func (fd *feed) block(n int64) *astiav.Frame {
	const half = source.AudioFrameSamples / 2
	for {
		f, pts, ok := fd.blocks.oldest()
		if !ok || pts >= n+half {
			return nil
		}
		if pts > n-half {
			return f
		}
		fd.blocks.drop()
	}
}

func (fd *feed) free() {
	fd.pics.free()
	fd.blocks.free()
	fd.last.Free()
}

// frameRing is a small FIFO of frame references with their program
// positions, allocated once.
type frameRing struct {
	frames []*astiav.Frame
	pts    []int64
	head   int
	n      int
}

// ringSize bounds how far a source may run ahead of the program: a few
// frames of either kind (a source delivers in time order).
const ringSize = 16

func newFrameRing() frameRing {
	r := frameRing{frames: make([]*astiav.Frame, ringSize), pts: make([]int64, ringSize)}
	for i := range r.frames {
		r.frames[i] = astiav.AllocFrame()
	}
	return r
}

// push keeps a new reference to f at position pts; a full ring drops its
// oldest.
func (r *frameRing) push(f *astiav.Frame, pts int64) error {
	if r.n == len(r.frames) {
		r.drop()
	}
	i := (r.head + r.n) % len(r.frames)
	if err := r.frames[i].Ref(f); err != nil {
		return fmt.Errorf("keep frame: %w", err)
	}
	r.pts[i] = pts
	r.n++
	return nil
}

// oldest is the oldest frame kept, with its position.
func (r *frameRing) oldest() (*astiav.Frame, int64, bool) {
	if r.n == 0 {
		return nil, 0, false
	}
	return r.frames[r.head], r.pts[r.head], true
}

// newest is the position of the newest frame kept.
func (r *frameRing) newest() (int64, bool) {
	if r.n == 0 {
		return 0, false
	}
	return r.pts[(r.head+r.n-1)%len(r.frames)], true
}

// drop releases the oldest frame.
func (r *frameRing) drop() {
	if r.n == 0 {
		return
	}
	r.frames[r.head].Unref()
	r.head = (r.head + 1) % len(r.frames)
	r.n--
}

func (r *frameRing) clear() {
	for r.n > 0 {
		r.drop()
	}
}

func (r *frameRing) free() {
	r.clear()
	for _, f := range r.frames {
		f.Free()
	}
}
