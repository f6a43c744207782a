package beauty

import (
	"encoding/binary"
	"math"
)

// The skin model: an ellipse in the (Cb, Cr) plane around where skin of
// every complexion falls (Hsu, Abdel-Mottaleb and Jain, "Face detection
// in color images", 2002: centre (109.38, 152.02), tilted 2.53 rad, half
// axes 25.39 and 14.03 around (1.60, 2.41) in the tilted frame). Skin
// differs between people mostly in luma, far less in chroma, which is why
// chroma alone finds it. The paper fits the ellipse after a luma-dependent
// warp of Cb, Cr; it is used here on plain Cb, Cr (no per-pixel warp),
// which TestSkinTones checks from pale to deep complexions. d below is
// the squared, normalised distance from the ellipse's centre (1 on its
// rim).
const (
	skinCb, skinCr   = 109.38, 152.02
	skinTheta        = 2.53
	skinEcx, skinEcy = 1.60, 2.41
	skinA, skinB     = 25.39, 14.03

	// Full weight inside skinCore, none beyond skinEdge, a smooth step
	// between: a hard rim would show as a line where a cheek turns into
	// shadow or a lip.
	skinCore = 0.6
	skinEdge = 1.5
)

// skinCbCr is the skin weight (0..255) of each chroma pair, indexed
// Cb<<8 | Cr, for limited-range ("MPEG", video) samples; skinCbCrFull the
// same for full-range ("JPEG") ones, whose chroma spreads 255/224 times as
// far from grey. Built once: they are the same for every stage.
var skinCbCr, skinCbCrFull = buildSkinCbCr(false), buildSkinCbCr(true)

func buildSkinCbCr(full bool) *[1 << 16]uint8 {
	var t [1 << 16]uint8
	sin, cos := math.Sincos(skinTheta)
	for cb := range 256 {
		for cr := range 256 {
			fb, fr := float64(cb), float64(cr)
			if full {
				fb, fr = toLimitedChroma(fb), toLimitedChroma(fr)
			}
			x := cos*(fb-skinCb) + sin*(fr-skinCr)
			y := -sin*(fb-skinCb) + cos*(fr-skinCr)
			dx, dy := (x-skinEcx)/skinA, (y-skinEcy)/skinB
			t[cb<<8|cr] = uint8(math.Round(255 * (1 - smoothstep(skinCore, skinEdge, dx*dx+dy*dy))))
		}
	}
	return &t
}

// toLimitedChroma and toLimitedLuma map full-range samples to the
// limited range the skin model is written in.
func toLimitedChroma(c float64) float64 { return 128 + (c-128)*224/255 }
func toLimitedLuma(y float64) float64   { return 16 + y*219/255 }

// skinLuma scales the skin weight by a 2×2 block's mean luma. Black hair,
// pupils and deep shadow are dark, eye whites, teeth and specular glare
// are bright: smoothing them loses what a face is recognised by. The dark
// ramp ends low (full weight from 60) because the deepest complexions sit
// there, with the same chroma as lighter skin; brown hair shares both and
// is left to the guided filter, which keeps strands (they are edges).
var skinLuma, skinLumaFull = buildSkinLuma(false), buildSkinLuma(true)

const (
	darkLo, darkHi     = 25, 60   // no weight at or below darkLo, full from darkHi
	brightLo, brightHi = 225, 250 // full weight to brightLo, none from brightHi
)

func buildSkinLuma(full bool) *[256]uint8 {
	var t [256]uint8
	for y := range 256 {
		l := float64(y)
		if full {
			l = toLimitedLuma(l)
		}
		w := smoothstep(darkLo, darkHi, l) * (1 - smoothstep(brightLo, brightHi, l))
		t[y] = uint8(math.Round(255 * w))
	}
	return &t
}

// smoothstep is 0 at or below lo, 1 at or above hi, and a cubic with flat
// ends between.
func smoothstep(lo, hi, x float64) float64 {
	t := min(max((x-lo)/(hi-lo), 0), 1)
	return t * t * (3 - 2*t)
}

// guideRows is the first phase for chroma rows [j0, j1): the 2×2 mean of
// luma into guide and the raw skin weight into skin (both with their
// edges repeated into the padding), and where along each row skin is. It
// only reads the frame.
func (b *Beauty) guideRows(j0, j1 int) {
	f := &b.frame
	w, cw, pad := b.width, b.cw, b.pad
	cbcr, luma := skinCbCr, skinLuma
	if f.fullRange {
		cbcr, luma = skinCbCrFull, skinLumaFull
	}
	for j := j0; j < j1; j++ {
		r0 := f.y[2*j*f.ys:][:w]
		r1 := r0
		if 2*j+1 < b.height {
			r1 = f.y[(2*j+1)*f.ys:][:w]
		}
		ur := f.u[j*f.us:][:cw]
		vr := f.v[j*f.vs:][:cw]
		gp := b.guide[j*b.gs:][:b.gs]
		sp := b.skin[j*b.gs:][:b.gs]
		g := gp[pad:][:cw]
		sk := sp[pad:][:cw]

		downsample(r0, r1, g)
		lo, hi := cw, 0
		for i := range sk {
			m := uint8((int(cbcr[int(ur[i])<<8|int(vr[i])])*int(luma[g[i]]) + 127) / 255)
			sk[i] = m
			if m != 0 {
				lo = min(lo, i)
				hi = i + 1
			}
		}
		b.skinLo[j], b.skinHi[j] = int32(lo), int32(hi)
		padRow(gp, pad)
		padRow(sp, pad)
	}
}

// downsample writes the rounded mean of each 2×2 block of rows r0, r1
// into g; an odd width's last column is a 1×2 block. Eight pixels of each
// row at a time, as four 16-bit lanes in a word (sums ≤ 1020 fit).
func downsample(r0, r1, g []uint8) {
	const lanes = 0x00FF00FF00FF00FF
	w := len(r0)
	r1 = r1[:w]
	pairs := w / 2
	g = g[:(w+1)/2]
	i := 0
	for ; 2*i+8 <= w; i += 4 {
		a := binary.LittleEndian.Uint64(r0[2*i:])
		c := binary.LittleEndian.Uint64(r1[2*i:])
		s := a&lanes + (a>>8)&lanes + c&lanes + (c>>8)&lanes
		s = ((s + 0x0002000200020002) >> 2) & lanes
		s = (s | s>>8) & 0x0000FFFF0000FFFF
		s = (s | s>>16) & 0xFFFFFFFF
		binary.LittleEndian.PutUint32(g[i:], uint32(s))
	}
	for ; i < pairs; i++ {
		s := int(r0[2*i]) + int(r0[2*i+1]) + int(r1[2*i]) + int(r1[2*i+1])
		g[i] = uint8((s + 2) >> 2)
	}
	if pairs < len(g) {
		g[pairs] = uint8((int(r0[w-1]) + int(r1[w-1]) + 1) >> 1)
	}
}

// padRow repeats a padded row's first and last real samples into its
// pad samples either side.
func padRow(row []uint8, pad int) {
	n := len(row)
	first, last := row[pad], row[n-pad-1]
	for i := range pad {
		row[i] = first
		row[n-1-i] = last
	}
}
