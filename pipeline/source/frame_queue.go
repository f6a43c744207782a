package source

import "github.com/asticode/go-astiav"

// frameQueue is a FIFO of owned frames that recycles its astiav.Frames, so
// the steady state allocates nothing.
type frameQueue struct {
	items []*astiav.Frame // queued, oldest first
	free  []*astiav.Frame
}

// slot returns an empty frame to pull into; give it back with push or drop.
func (q *frameQueue) slot() *astiav.Frame {
	if n := len(q.free); n > 0 {
		f := q.free[n-1]
		q.free = q.free[:n-1]
		return f
	}
	return astiav.AllocFrame()
}

func (q *frameQueue) push(f *astiav.Frame) { q.items = append(q.items, f) }

// drop unreferences f and keeps it for reuse.
func (q *frameQueue) drop(f *astiav.Frame) {
	f.Unref()
	q.free = append(q.free, f)
}

func (q *frameQueue) len() int { return len(q.items) }

func (q *frameQueue) head() *astiav.Frame { return q.items[0] }

// pop removes the head; the caller owns it until it calls drop.
func (q *frameQueue) pop() *astiav.Frame {
	f := q.items[0]
	copy(q.items, q.items[1:])
	q.items = q.items[:len(q.items)-1]
	return f
}

func (q *frameQueue) close() {
	for _, f := range q.items {
		f.Free()
	}
	for _, f := range q.free {
		f.Free()
	}
	q.items, q.free = nil, nil
}
