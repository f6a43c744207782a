package composite

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
)

// Blend writes dst = a·(1−t) + b·t per sample, for a fade from a to b as
// t goes from 0 to 1. All three are yuv420p of one size; dst may be a or
// b. With the weight w = round(256·t), each sample is
//
//	dst = (a·(256−w) + b·w + 128) >> 8
//
// so t = 0 gives a and t = 1 gives b exactly, and t = 0.5 gives
// (a + b + 1) >> 1. It allocates nothing.
func Blend(dst, a, b *astiav.Frame, t float64) error {
	if math.IsNaN(t) || t < 0 || t > 1 {
		return fmt.Errorf("composite: blend t=%v: must be 0..1", t)
	}
	w, h := dst.Width(), dst.Height()
	for _, f := range [...]*astiav.Frame{dst, a, b} {
		if f.PixelFormat() != astiav.PixelFormatYuv420P || f.Width() != w || f.Height() != h {
			return fmt.Errorf("composite: blend: %s %dx%d beside %dx%d: all three must be yuv420p of one size",
				f.PixelFormat(), f.Width(), f.Height(), w, h)
		}
	}
	if !av.IsWritable(dst) {
		return fmt.Errorf("composite: blend: destination is not writable (its buffers are shared)")
	}
	weight := int(math.Round(t * 256))
	for i := 0; i < 3; i++ {
		pw, ph := w, h
		if i > 0 {
			pw, ph = (w+1)/2, (h+1)/2
		}
		d, ds := av.Plane(dst, i)
		pa, as := av.Plane(a, i)
		pb, bs := av.Plane(b, i)
		for y := 0; y < ph; y++ {
			blendRow(d[y*ds:][:pw], pa[y*as:][:pw], pb[y*bs:][:pw], weight)
		}
	}
	return nil
}

const (
	lanes = 0x00FF00FF00FF00FF // the even bytes of a word, as 16-bit lanes
	half  = 0x0080008000800080 // 128 in each lane: rounding
)

// blendRow sets d[i] = (a[i]·(256−w) + b[i]·w + 128) >> 8 for w in
// 0..256; d may be a or b. Eight samples at a time: the even and the odd
// bytes of a 64-bit word are spread over four 16-bit lanes each, where
// the weighted sum (at most 255·256 + 128) cannot carry into the next
// lane, so the result is exactly the per-sample formula.
func blendRow(d, a, b []byte, w int) {
	n := len(d)
	a, b = a[:n], b[:n]
	wa, wb := uint64(256-w), uint64(w)
	i := 0
	for ; i+8 <= n; i += 8 {
		x := binary.LittleEndian.Uint64(a[i:])
		y := binary.LittleEndian.Uint64(b[i:])
		even := ((x&lanes)*wa + (y&lanes)*wb + half) >> 8 & lanes
		odd := ((x>>8&lanes)*wa + (y>>8&lanes)*wb + half) &^ lanes
		binary.LittleEndian.PutUint64(d[i:], even|odd)
	}
	for ; i < n; i++ {
		d[i] = byte((int(a[i])*(256-w) + int(b[i])*w + 128) >> 8)
	}
}
