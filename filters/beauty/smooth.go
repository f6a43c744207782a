package beauty

import "math"

const (
	// maxEpsilon is the guided filter's ε at strength 1, in squared luma
	// levels of the 2×2-averaged guide: a window whose variance is ε is
	// kept half, one of a tenth of it is mostly replaced by its mean.
	// Sensor noise of σ 8 on the full picture is σ 4 (variance 16) on the
	// guide; pores and fine lines are tens to a few hundred; a brow, lash
	// line, lip, nostril or glasses frame is thousands. ε follows the
	// strength (ε = maxEpsilon·strength), so a low strength only takes out
	// noise and a high one also fine wrinkles, instead of a low strength
	// being a faint copy of the strongest smoothing (which reads as a
	// veil). 500 was chosen by eye on a real portrait: 100 left lines a
	// beauty filter is expected to soften, 1000 began to flatten the
	// shape of a nose and cheek.
	maxEpsilon = 500

	// maxBlend is how much of the filtered picture replaces skin at
	// strength 1. Below 1 so that some skin texture always survives:
	// fully replaced, skin looks like plastic.
	maxBlend = 0.9
)

// aTableSize covers every variance of 8-bit samples (at most 127.5²).
const aTableSize = 1 << 14

// buildALUT tabulates a = var/(var+ε) in Q12 for every integer variance,
// so the filter divides nothing per pixel.
func buildALUT(t []uint16, eps float64) {
	eps = max(eps, 1) // strength 0 does not filter; keep the table finite anyway
	for v := range t {
		t[v] = uint16(math.Round(4096 * float64(v) / (float64(v) + eps)))
	}
}

// part is one band of rows with the scratch its streaming pass needs.
// The band owns chroma rows [j0, j1) and luma rows [2·j0, 2·j1); it reads
// the frame-sized phase-one buffers beyond them (the filter's reach) but
// writes only its own rows.
type part struct {
	b      *Beauty
	j0, j1 int

	// Rings of k = 2r+2 rows, each cw wide, indexed by row mod k: the
	// horizontal box sums of I and I² (level 1) and of a and b (level 2).
	// 2r+1 rows are in a running vertical sum, and one more is the row
	// being added while the oldest is taken out.
	ring          int
	hs1, hs2      []int32
	ha, hb        []int32
	col1, col2    []int32 // vertical running sums of hs1, hs2: window sums of I, I²
	colA, colB    []int32 // of ha, hb: window sums of a, b
	aRow, bRow    []int32 // one row of a and b before the horizontal box
	alpha, beta   []int32 // ring of 3 rows: the per-sample linear map, Q12
	span          [3][2]int
	wRow, wbRow   []int32 // the current row's smoothing and brightening weights, /256
	mRow          []int32 // the current row's skin weight after its 3×3 blur
	vAlpha, vBeta []int32 // α, β interpolated to a luma row, before the columns
}

func newPart(b *Beauty, j0, j1 int) *part {
	cw := b.cw
	k := 2*b.radius + 2
	row := func() []int32 { return make([]int32, cw) }
	return &part{
		b: b, j0: j0, j1: j1, ring: k,
		hs1: make([]int32, k*cw), hs2: make([]int32, k*cw),
		ha: make([]int32, k*cw), hb: make([]int32, k*cw),
		col1: row(), col2: row(), colA: row(), colB: row(),
		aRow: row(), bRow: row(),
		alpha: make([]int32, 3*cw), beta: make([]int32, 3*cw),
		wRow: row(), wbRow: row(), mRow: row(),
		vAlpha: row(), vBeta: row(),
	}
}

// slot is where row l (which may be above or below the picture) lives in
// a ring of n rows of width w.
func slot(l, n, w int) int { return ((l%n + n) % n) * w }

// filter is the second phase for this band: the guided filter, streamed
// row by row, and the writing of luma and chroma.
func (p *part) filter() {
	b := p.b
	f := &b.frame
	r := b.radius
	first, last := max(p.j0-1, 0), min(p.j1, b.ch-1) // α rows the band's luma rows need

	if f.smooth {
		// Fill level 1 for the level-2 row first-r, then level 2 for the
		// α row first: every row above the picture is a copy of its top
		// row, so the picture's edge is treated as continuing.
		clear(p.col1)
		clear(p.col2)
		k0 := first - r
		for l := k0 - r; l <= k0+r; l++ {
			p.hsRow(l)
			p.addRow(p.col1, p.hs1, l, 1)
			p.addRow(p.col2, p.hs2, l, 1)
		}
		clear(p.colA)
		clear(p.colB)
		for k := first - r; k <= first+r; k++ {
			p.abRow(k)
			p.addRow(p.colA, p.ha, k, 1)
			p.addRow(p.colB, p.hb, k, 1)
			p.advance1(k)
		}
	}
	for j := first; j <= last; j++ {
		p.alphaRow(j)
		if j >= p.j0 && j < p.j1 {
			p.chromaRow(j)
		}
		// Luma row 2j−1 lies between α rows j−1 and j, nearer j−1; row 2j
		// between the same two, nearer j. Both are ready now.
		if y := 2*j - 1; p.ownsLuma(y) {
			p.lumaRow(y, j-1, j)
		}
		if y := 2 * j; p.ownsLuma(y) {
			p.lumaRow(y, j, max(j-1, 0))
		}
		if y := 2*j + 1; j == b.ch-1 && p.ownsLuma(y) {
			p.lumaRow(y, j, j) // the last row: nothing below to lean on
		}
		if f.smooth && j < last {
			k := j + r + 1
			p.abRow(k)
			p.addRow(p.colA, p.ha, k, 1)
			p.addRow(p.colB, p.hb, k, 1)
			p.addRow(p.colA, p.ha, k-2*r-1, -1)
			p.addRow(p.colB, p.hb, k-2*r-1, -1)
			p.advance1(k)
		}
	}
}

// ownsLuma says whether luma row y is in the picture and this band's.
func (p *part) ownsLuma(y int) bool {
	return y >= 2*p.j0 && y < 2*p.j1 && y >= 0 && y < p.b.height
}

// addRow adds (sign 1) or takes out (−1) ring row l to a running sum.
func (p *part) addRow(col, ring []int32, l int, sign int32) {
	cw := p.b.cw
	src := ring[slot(l, p.ring, cw):][:cw]
	col = col[:cw]
	if sign > 0 {
		for i, v := range src {
			col[i] += v
		}
		return
	}
	for i, v := range src {
		col[i] -= v
	}
}

// advance1 moves level 1's window from centre row k to k+1.
func (p *part) advance1(k int) {
	r := p.b.radius
	p.hsRow(k + r + 1)
	p.addRow(p.col1, p.hs1, k+r+1, 1)
	p.addRow(p.col2, p.hs2, k+r+1, 1)
	p.addRow(p.col1, p.hs1, k-r, -1)
	p.addRow(p.col2, p.hs2, k-r, -1)
}

// hsRow computes level 1 for row l (clamped into the picture): the
// horizontal box sums of the guide and of its square.
func (p *part) hsRow(l int) {
	b := p.b
	cw := b.cw
	src := b.guide[min(max(l, 0), b.ch-1)*cw:][:cw]
	o := slot(l, p.ring, cw)
	boxSq(src, b.radius, p.hs1[o:o+cw], p.hs2[o:o+cw])
}

// abRow computes level 2 for row k from level 1's window sums centred
// there: the guided filter's a and b, then their horizontal box sums.
func (p *part) abRow(k int) {
	b := p.b
	cw := b.cw
	side := int64(2*b.radius + 1)
	n := side * side
	recip16 := b.recipN * 16
	recipVar := (1<<32 + n*n/2) / (n * n)
	alut := b.alut
	top := int64(len(alut) - 1)
	c1, c2 := p.col1[:cw], p.col2[:cw]
	ar, br := p.aRow[:cw], p.bRow[:cw]
	for i := range c1 {
		s1, s2 := int64(c1[i]), int64(c2[i])
		v := ((n*s2 - s1*s1) * recipVar) >> 32 // the window's variance
		a := int64(alut[min(v, top)])
		mean16 := (s1 * recip16) >> 32
		ar[i] = int32(a)
		br[i] = int32(((4096 - a) * mean16) >> 4)
	}
	o := slot(k, p.ring, cw)
	box32(ar, b.radius, p.ha[o:o+cw])
	box32(br, b.radius, p.hb[o:o+cw])
}

// alphaRow computes row j's linear map (α, β) and the weights its chroma
// uses, from level 2's window sums (the means of a and b) and the skin
// weight.
func (p *part) alphaRow(j int) {
	b := p.b
	f := &b.frame
	cw, ch := b.cw, b.ch
	p.maskRow(j)
	o := (j % 3) * cw
	al, be := p.alpha[o:o+cw], p.beta[o:o+cw]
	m, wr, wbr := p.mRow[:cw], p.wRow[:cw], p.wbRow[:cw]
	ca, cb := p.colA[:cw], p.colB[:cw]
	guide := b.guide[min(j, ch-1)*cw:][:cw]
	recip := b.recipN
	s256, b256 := int64(f.s256), int64(f.b256)
	lo, hi := cw, 0
	for i := range al {
		mi := int64(m[i])
		w := (s256*mi + 128) >> 8
		wb := (b256*mi + 128) >> 8
		alpha, beta := int64(4096), int64(0)
		if f.smooth {
			A := (int64(ca[i]) * recip) >> 32
			B := (int64(cb[i]) * recip) >> 32
			alpha += ((A - 4096) * w) >> 8
			beta = (B * w) >> 8
		}
		if f.brightenOn {
			mu := min(max((alpha*int64(guide[i])+beta+2048)>>12, 0), 255)
			g := 4096 + ((int64(b.tone.slope[mu])-4096)*wb)>>8
			alpha = (alpha * g) >> 12
			beta = (beta*g)>>12 + (int64(b.tone.icpt[mu])*wb)>>8
		}
		al[i], be[i] = int32(alpha), int32(beta)
		wr[i], wbr[i] = int32(w), int32(wb)
		if w|wb != 0 {
			lo = min(lo, i)
			hi = i + 1
		}
	}
	p.span[j%3] = [2]int{lo, hi}
}

// maskRow blurs the raw skin weight around row j with [1 2 1]×[1 2 1],
// so the smoothing fades in over a few pixels instead of stopping at a
// chroma sample's edge.
func (p *part) maskRow(j int) {
	b := p.b
	cw, ch := b.cw, b.ch
	up := b.skin[max(j-1, 0)*cw:][:cw]
	mid := b.skin[j*cw:][:cw]
	dn := b.skin[min(j+1, ch-1)*cw:][:cw]
	v := p.vAlpha[:cw] // free until lumaRow
	for i := range v {
		v[i] = int32(up[i]) + 2*int32(mid[i]) + int32(dn[i])
	}
	m := p.mRow[:cw]
	if cw == 1 {
		m[0] = (4*v[0] + 2) >> 2
		return
	}
	m[0] = (3*v[0] + v[1] + 8) >> 4
	for i := 1; i < cw-1; i++ {
		m[i] = (v[i-1] + 2*v[i] + v[i+1] + 8) >> 4
	}
	m[cw-1] = (v[cw-2] + 3*v[cw-1] + 8) >> 4
}

// chromaRow writes chroma row j: on skin, a 3×3 [1 2 1] blur blended in
// by the smoothing weight (colour noise is blotchy and the eye forgives
// soft colour far more than soft luma), then Brighten's slight
// desaturation.
func (p *part) chromaRow(j int) {
	b := p.b
	f := &b.frame
	cw, ch := b.cw, b.ch
	sp := p.span[j%3]
	lo, hi := sp[0], sp[1]
	if lo >= hi {
		return
	}
	wr, wbr := p.wRow[:cw], p.wbRow[:cw]
	up, dn := max(j-1, 0)*cw, min(j+1, ch-1)*cw
	planes := [2]struct {
		row []byte
		h   []uint16
	}{{f.u[j*f.us:][:cw], b.hu}, {f.v[j*f.vs:][:cw], b.hv}}
	for _, pl := range planes {
		row := pl.row
		hu, hm, hd := pl.h[up:][:cw], pl.h[j*cw:][:cw], pl.h[dn:][:cw]
		for i := lo; i < hi; i++ {
			c := int(row[i])
			t := (int(hu[i]) + 2*int(hm[i]) + int(hd[i]) + 8) >> 4
			c += ((t - c) * int(wr[i])) >> 8
			c = 128 + ((c-128)*(256-(whiten*int(wbr[i]))>>8))>>8
			row[i] = uint8(min(max(c, 0), 255))
		}
	}
}

// lumaRow writes luma row y with the map interpolated from α rows near
// (¾) and far (¼), and along the row likewise: the bilinear upsampling of
// a 2× reduction.
func (p *part) lumaRow(y, near, far int) {
	b := p.b
	f := &b.frame
	cw, w := b.cw, b.width
	sn, sf := p.span[near%3], p.span[far%3]
	lo, hi := min(sn[0], sf[0]), max(sn[1], sf[1])
	if lo >= hi {
		return // no skin within reach: the row stays as it is
	}
	lo, hi = max(lo-1, 0), min(hi+1, cw)
	an, af := p.alpha[(near%3)*cw:][:cw], p.alpha[(far%3)*cw:][:cw]
	bn, bf := p.beta[(near%3)*cw:][:cw], p.beta[(far%3)*cw:][:cw]
	va, vb := p.vAlpha[:cw], p.vBeta[:cw]
	for i := max(lo-1, 0); i < min(hi+1, cw); i++ {
		va[i] = 3*an[i] + af[i]
		vb[i] = 3*bn[i] + bf[i]
	}
	row := f.y[y*f.ys:][:w]
	for i := lo; i < hi; i++ {
		l, r := max(i-1, 0), min(i+1, cw-1)
		x := 2 * i
		a := 3*int(va[i]) + int(va[l])
		c := 3*int(vb[i]) + int(vb[l])
		row[x] = uint8(min(max((a*int(row[x])+c+32768)>>16, 0), 255))
		if x+1 < w {
			a = 3*int(va[i]) + int(va[r])
			c = 3*int(vb[i]) + int(vb[r])
			row[x+1] = uint8(min(max((a*int(row[x+1])+c+32768)>>16, 0), 255))
		}
	}
}

// boxSq writes the sums of x and of x² over [i−r, i+r] for each i, the
// ends repeated past the row's edges.
func boxSq(x []uint8, r int, s1, s2 []int32) {
	n := len(x)
	s1, s2 = s1[:n], s2[:n]
	var a1, a2 int32
	for k := -r; k <= r; k++ {
		v := int32(x[min(max(k, 0), n-1)])
		a1 += v
		a2 += v * v
	}
	for i := range n {
		s1[i], s2[i] = a1, a2
		in := int32(x[min(i+r+1, n-1)])
		out := int32(x[max(i-r, 0)])
		a1 += in - out
		a2 += in*in - out*out
	}
}

// box32 writes the sums of x over [i−r, i+r] for each i, the ends
// repeated past the row's edges.
func box32(x []int32, r int, s []int32) {
	n := len(x)
	s = s[:n]
	var a int32
	for k := -r; k <= r; k++ {
		a += x[min(max(k, 0), n-1)]
	}
	for i := range n {
		s[i] = a
		a += x[min(i+r+1, n-1)] - x[max(i-r, 0)]
	}
}
