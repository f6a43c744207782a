package source

import "github.com/asticode/go-astiav"

// Handout gives out a frame that a source hands out again and again (its
// black picture, its silence, a held picture) as a fresh second reference
// each time. Whoever changes a frame in place makes it writable first
// (av.MakeWritable); with the second reference that copies, so the
// original stays what it was for the next time. Handing out the original
// itself would let a filter draw into it, and draw again onto what it drew.
type Handout struct{ out *astiav.Frame }

// NewHandout allocates the reference a Handout gives out.
func NewHandout() *Handout { return &Handout{out: astiav.AllocFrame()} }

// Of returns a new reference to f, valid until the next Of. Should the
// reference fail (out of memory), it returns f itself.
func (h *Handout) Of(f *astiav.Frame) *astiav.Frame {
	h.out.Unref()
	if err := h.out.Ref(f); err != nil {
		return f
	}
	return h.out
}

// Free frees the reference. A nil Handout does nothing.
func (h *Handout) Free() {
	if h != nil {
		h.out.Free()
	}
}
