package pipeline

import (
	"fmt"
	"image"
	"sync"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
)

// PreviewWidth is the width of the preview picture; its height keeps the
// program's aspect ratio. The console scales it down to its cells.
const PreviewWidth = 256

// preview keeps a small RGBA copy of the program picture, refreshed a few
// times a second while someone watches. The scaler and its frame are made
// once; the copy goes into a Go buffer that readers copy out under a lock.
type preview struct {
	every int // take one frame in every
	n     int

	sws *astiav.SoftwareScaleContext
	rgb *astiav.Frame

	mu  sync.Mutex
	pix []byte // PreviewWidth × h × 4
	w   int
	h   int
	seq uint64
}

func newPreview(srcW, srcH int, fps float64) (*preview, error) {
	w := PreviewWidth
	h := max(int(float64(w)*float64(srcH)/float64(srcW)+0.5)&^1, 2)
	sws, err := astiav.CreateSoftwareScaleContext(srcW, srcH, astiav.PixelFormatYuv420P, w, h, astiav.PixelFormatRgba,
		astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagArea))
	if err != nil {
		return nil, fmt.Errorf("preview scaler: %w", err)
	}
	rgb := astiav.AllocFrame()
	rgb.SetWidth(w)
	rgb.SetHeight(h)
	rgb.SetPixelFormat(astiav.PixelFormatRgba)
	if err := rgb.AllocBuffer(1); err != nil {
		sws.Free()
		rgb.Free()
		return nil, fmt.Errorf("preview frame: %w", err)
	}
	// About five pictures a second: enough to see motion, cheap to draw.
	every := max(int(fps/5+0.5), 1)
	return &preview{every: every, sws: sws, rgb: rgb, pix: make([]byte, w*h*4), w: w, h: h}, nil
}

// offer takes f when its turn has come. Called from the engine loop.
func (p *preview) offer(f *astiav.Frame) {
	p.n++
	if p.n < p.every {
		return
	}
	p.n = 0
	if err := p.sws.ScaleFrame(f, p.rgb); err != nil {
		return
	}
	plane, stride := av.PackedPlane(p.rgb)
	if plane == nil {
		return
	}
	p.mu.Lock()
	for y := 0; y < p.h; y++ {
		copy(p.pix[y*p.w*4:(y+1)*p.w*4], plane[y*stride:])
	}
	p.seq++
	p.mu.Unlock()
}

// copyTo copies the newest picture into dst (reallocated when its size
// differs) and returns it with its sequence number (0: no picture yet).
// When the newest is the one numbered since, nothing is copied.
func (p *preview) copyTo(dst *image.RGBA, since uint64) (*image.RGBA, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seq == 0 || p.seq == since {
		return dst, p.seq
	}
	if dst == nil || dst.Rect.Dx() != p.w || dst.Rect.Dy() != p.h {
		dst = image.NewRGBA(image.Rect(0, 0, p.w, p.h))
	}
	copy(dst.Pix, p.pix)
	return dst, p.seq
}

func (p *preview) close() {
	p.sws.Free()
	p.rgb.Free()
}
