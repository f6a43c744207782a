package beauty

import (
	"math"
	"math/rand/v2"
)

// picture is a yuv420p picture in plain planes, lines padded as FFmpeg
// pads them.
type picture struct {
	w, h, cw, ch int
	ys, cs       int
	y, u, v      []byte
}

func newPicture(w, h, pad int) *picture {
	cw, ch := (w+1)/2, (h+1)/2
	p := &picture{w: w, h: h, cw: cw, ch: ch, ys: w + pad, cs: cw + pad}
	p.y = make([]byte, p.ys*h)
	p.u = make([]byte, p.cs*ch)
	p.v = make([]byte, p.cs*ch)
	return p
}

func (p *picture) clone() *picture {
	c := *p
	c.y = append([]byte(nil), p.y...)
	c.u = append([]byte(nil), p.u...)
	c.v = append([]byte(nil), p.v...)
	return &c
}

func (p *picture) Y(x, y int) int { return int(p.y[y*p.ys+x]) }

// rect is a region in luma pixels, [x0, x1) × [y0, y1).
type rect struct{ x0, y0, x1, y1 int }

func (r rect) in(x, y int) bool { return x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1 }

// inset shrinks r by d on every side.
func (r rect) inset(d int) rect { return rect{r.x0 + d, r.y0 + d, r.x1 - d, r.y1 - d} }

// portrait is the synthetic test picture and where its parts are.
type portrait struct {
	*picture
	skin rect // the skin-toned face (an upright rectangle with round-ish corners cut by the background)
	band rect // a dark brow/hair band across the face: the edge to keep
	// the background is everything at least bgMargin outside skin.
}

const bgMargin = 8

// newPortrait draws w×h: a textured, striped background in blue and green
// (never skin-coloured), a skin region (Y 170, Cb 110, Cr 150) covering
// the middle of the picture with Gaussian noise of σ 8 on luma and 2 on
// chroma, and a dark band (Y 40, neutral chroma, like hair or a brow)
// across the upper third of the face. pad bytes of padding end each line;
// they hold 0xEE so a write into them shows.
func newPortrait(w, h, pad int, seed uint64) *portrait {
	return newPortraitTone(w, h, pad, seed, tone{170, 110, 150})
}

// tone is a skin colour, Y, Cb, Cr (BT.601, limited range).
type tone struct{ y, cb, cr float64 }

// newPortraitTone is newPortrait with another skin colour.
func newPortraitTone(w, h, pad int, seed uint64, skin tone) *portrait {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := &portrait{picture: newPicture(w, h, pad)}
	p.skin = rect{w * 3 / 10, h / 8, w * 7 / 10, h * 15 / 16}
	bh := max(h/12, 6)
	p.band = rect{p.skin.x0 + w/20, p.skin.y0 + (p.skin.y1-p.skin.y0)/3, p.skin.x1 - w/20, 0}
	p.band.y1 = p.band.y0 + bh
	for i := range p.y {
		p.y[i] = 0xEE
	}
	for i := range p.u {
		p.u[i], p.v[i] = 0xEE, 0xEE
	}
	for y := range h {
		for x := range w {
			var v float64
			switch {
			case p.band.in(x, y):
				v = 40 + rng.NormFloat64()*4
			case p.skin.in(x, y):
				v = skin.y + rng.NormFloat64()*8
			default:
				// Stripes 12 px wide with fine random texture on top:
				// detail a smoother would visibly wipe out.
				v = 80 + 60*float64((x/12+y/24)%2) + rng.NormFloat64()*12
			}
			p.y[y*p.ys+x] = clampByte(v)
		}
	}
	for cy := range p.ch {
		for cx := range p.cw {
			x, y := 2*cx, 2*cy
			var cb, cr float64
			switch {
			case p.band.in(x, y):
				cb, cr = 128, 130
			case p.skin.in(x, y):
				cb, cr = skin.cb+rng.NormFloat64()*2, skin.cr+rng.NormFloat64()*2
			case (x/12+y/24)%2 == 0:
				cb, cr = 165, 105 // blue
			default:
				cb, cr = 100, 95 // green
			}
			p.u[cy*p.cs+cx] = clampByte(cb)
			p.v[cy*p.cs+cx] = clampByte(cr)
		}
	}
	return p
}

func clampByte(v float64) byte { return byte(math.Round(min(max(v, 0), 255))) }

// stats over the luma of the pixels of p for which keep is true.
func lumaStats(p *picture, keep func(x, y int) bool) (mean, std float64) {
	var s, s2, n float64
	for y := range p.h {
		for x := range p.w {
			if keep(x, y) {
				v := float64(p.Y(x, y))
				s += v
				s2 += v * v
				n++
			}
		}
	}
	mean = s / n
	return mean, math.Sqrt(s2/n - mean*mean)
}
