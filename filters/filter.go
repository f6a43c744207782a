package filters

import (
	"time"

	"github.com/asticode/go-astiav"
)

// Video is one video processing stage. Apply changes f in place: f is
// yuv420p at the size the stage was made for, writable (its buffers are
// its own), and t is its program time. Apply runs on the program's
// goroutine; setters a stage offers for live control (strength, on/off)
// may be called from any goroutine.
type Video interface {
	Apply(f *astiav.Frame, t time.Duration) error
	Close()
}

// Audio is one audio processing stage. Process changes a block in place:
// one slice per channel (planar float, nominally −1..1), all of the same
// length (1024 samples at the program rate). A stage that needs to look
// ahead keeps a constant latency, whether it is on or bypassed, so that
// toggling it never shifts the audio.
type Audio interface {
	Process(planes [][]float32) error
	Close()
}
