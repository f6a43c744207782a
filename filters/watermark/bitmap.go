package watermark

import "studio/internal/av"

// bitmap is one layer made ready for blending: premultiplied YUVA in
// integers, placed at a fixed spot of the frame, with its chroma already
// reduced to the frame's 2×2 grid. Everything costly (colour conversion,
// alpha weighting, the 2×2 sums) happens when a layer is built; the
// per-frame blend is one multiply-add and one constant division per
// sample.
//
// The blend, exactly (all integer, "/" truncates):
//
//	luma, per pixel:      out = (PY + (255 − a)·dst + 127) / 255
//	chroma, per sample:   out = (PC + (1020 − A)·dst + 510) / 1020
//
// where a is the pixel's alpha (0..255, opacity folded in) and PY = a·Y
// its premultiplied luma (in units of 1/255); A is the sum of a over the
// 2×2 luma pixels the chroma sample covers (pixels outside the layer count
// as 0) and PC the sum of a·U (or a·V) over them. An opaque pixel writes
// its own Y; a = 0 leaves dst as it was; chroma is the alpha-weighted mean
// of the block's colours over dst, so the colour of a transparent pixel
// never bleeds into its neighbours' chroma (no fringes).
type bitmap struct {
	x0, y0, w, h int // luma rectangle in frame pixels; may reach outside the frame

	a  []uint8  // alpha, w×h
	py []uint16 // a·Y, w×h

	cx0, cy0, cw, ch int      // chroma rectangle in chroma samples
	ca               []uint16 // Σa over the 2×2 block, cw×ch
	pu, pv           []uint32 // Σa·U, Σa·V over the block
}

// pixels is a layer's premultiplied YUVA at full resolution before it is
// placed: per pixel, alpha and a·Y, a·U, a·V. Builders fill it; place
// turns it into a bitmap.
type pixels struct {
	w, h       int
	a          []uint8
	py, pu, pv []uint16
}

// resize sets the size, reusing the slices' memory when it is big enough
// (the clock re-renders once a second and must not allocate).
func (p *pixels) resize(w, h int) {
	n := w * h
	p.w, p.h = w, h
	p.a = grow(p.a, n)
	p.py = grow(p.py, n)
	p.pu = grow(p.pu, n)
	p.pv = grow(p.pv, n)
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// set stores a pixel from its alpha and its straight Y, U, V.
func (p *pixels) set(i int, a uint8, y, u, v int) {
	p.a[i] = a
	p.py[i] = uint16(int(a) * y)
	p.pu[i] = uint16(int(a) * u)
	p.pv[i] = uint16(int(a) * v)
}

// place builds b from p with p's top-left pixel at frame pixel (x0, y0).
// The chroma blocks follow the frame's grid, so the parity of x0 and y0
// decides which luma pixels share a chroma sample.
func (b *bitmap) place(p *pixels, x0, y0 int) {
	b.x0, b.y0, b.w, b.h = x0, y0, p.w, p.h
	b.a = grow(b.a, len(p.a))
	copy(b.a, p.a)
	b.py = grow(b.py, len(p.py))
	copy(b.py, p.py)
	if p.w == 0 || p.h == 0 {
		b.cw, b.ch = 0, 0
		return
	}
	b.cx0, b.cy0 = floorHalf(x0), floorHalf(y0)
	b.cw = floorHalf(x0+p.w-1) - b.cx0 + 1
	b.ch = floorHalf(y0+p.h-1) - b.cy0 + 1
	n := b.cw * b.ch
	b.ca = grow(b.ca, n)
	b.pu = grow(b.pu, n)
	b.pv = grow(b.pv, n)
	for cy := 0; cy < b.ch; cy++ {
		for cx := 0; cx < b.cw; cx++ {
			var sa, su, sv uint32
			for dy := 0; dy < 2; dy++ {
				ly := 2*(b.cy0+cy) + dy - y0
				if ly < 0 || ly >= p.h {
					continue
				}
				for dx := 0; dx < 2; dx++ {
					lx := 2*(b.cx0+cx) + dx - x0
					if lx < 0 || lx >= p.w {
						continue
					}
					i := ly*p.w + lx
					sa += uint32(p.a[i])
					su += uint32(p.pu[i])
					sv += uint32(p.pv[i])
				}
			}
			j := cy*b.cw + cx
			b.ca[j] = uint16(sa)
			b.pu[j] = su
			b.pv[j] = sv
		}
	}
}

// floorHalf is ⌊v/2⌋ for negative v too (a layer partly left of or above
// the frame).
func floorHalf(v int) int { return v >> 1 }

// blend draws b into a yuv420p frame of size fw×fh given its planes and
// line sizes; whatever lies outside the frame is clipped.
func (b *bitmap) blend(yp []byte, ys int, up, vp []byte, cs int, fw, fh int) {
	xs, xe := max(b.x0, 0), min(b.x0+b.w, fw)
	ysRow, yeRow := max(b.y0, 0), min(b.y0+b.h, fh)
	if xs < xe {
		n := xe - xs
		for y := ysRow; y < yeRow; y++ {
			i := (y-b.y0)*b.w + xs - b.x0
			a := b.a[i : i+n]
			py := b.py[i : i+n]
			dst := yp[y*ys+xs : y*ys+xs+n]
			for x := range dst {
				av := uint32(a[x])
				if av == 0 {
					continue
				}
				dst[x] = uint8((uint32(py[x]) + (255-av)*uint32(dst[x]) + 127) / 255)
			}
		}
	}
	cfw, cfh := (fw+1)/2, (fh+1)/2
	xs, xe = max(b.cx0, 0), min(b.cx0+b.cw, cfw)
	if xs >= xe {
		return
	}
	n := xe - xs
	for y := max(b.cy0, 0); y < min(b.cy0+b.ch, cfh); y++ {
		i := (y-b.cy0)*b.cw + xs - b.cx0
		ca := b.ca[i : i+n]
		pu := b.pu[i : i+n]
		pv := b.pv[i : i+n]
		du := up[y*cs+xs : y*cs+xs+n]
		dv := vp[y*cs+xs : y*cs+xs+n]
		for x := range du {
			sa := uint32(ca[x])
			if sa == 0 {
				continue
			}
			du[x] = uint8((pu[x] + (1020-sa)*uint32(du[x]) + 510) / 1020)
			dv[x] = uint8((pv[x] + (1020-sa)*uint32(dv[x]) + 510) / 1020)
		}
	}
}

// rgbToYUV is av.RGBToYUV: BT.601 limited range, integer coefficients.
func rgbToYUV(r, g, b int) (y, u, v int) { return av.RGBToYUV(r, g, b) }

// fold applies an opacity o (0..255) to an alpha or a premultiplied value:
// (v·o + 127) / 255.
func fold(v, o int) int { return (v*o + 127) / 255 }
