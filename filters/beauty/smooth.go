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
	// veil). Chosen by eye on a real portrait: with plain averaging of the
	// windows (see weightDelta) 100, 250, 500, 600 and 1000 were
	// compared — 100 left lines a beauty filter is expected to soften,
	// 1000 made cheeks waxy — and 500 kept; weighted averaging smooths
	// more at the same ε, and 350 (against 250) looked like that 500.
	maxEpsilon = 350

	// maxBlend is how much of the filtered picture replaces skin at
	// strength 1. Below 1 so that some skin texture always survives:
	// fully replaced, skin looks like plastic.
	maxBlend = 0.9

	// weightDelta sets how much a window's own variance discounts it when
	// the windows covering a sample are averaged: weight δ/(var+δ),
	// δ = weightDelta·ε. The plain guided filter averages them equally,
	// so beside an edge the windows straddling it (a ≈ 1) keep half the
	// noise of a strip 2r samples wide; weighted, the flat windows win
	// there, while on the edge itself every window straddles it and the
	// edge stays.
	weightDelta = 0.5
)

// aTableSize is the length of the a table: variances are looked up by
// n²·var >> varShift (see step), which stays below it.
const aTableSize = 1 << 14

// buildALUT tabulates, for each variance, the filter's a = var/(var+ε) in
// Q12 (low 16 bits) and the window's weight δ/(var+δ) in Q8, at least 1
// (high 16 bits); entry t stands for the variances t·unit … (t+1)·unit,
// so the filter divides nothing per window.
func buildALUT(t []uint32, eps, unit float64) {
	eps = max(eps, 1) // strength 0 does not filter; keep the table finite anyway
	delta := eps * weightDelta
	for i := range t {
		v := (float64(i) + 0.5) * unit
		a := math.Round(4096 * v / (v + eps))
		w := max(math.Round(256*delta/(v+delta)), 1)
		t[i] = uint32(a) | uint32(w)<<16
	}
}

// part is one band of rows with the scratch its streaming pass needs.
// The band owns chroma rows [j0, j1) and luma rows [2·j0, 2·j1); it reads
// the frame-sized phase-one buffers beyond them (the filter's reach) but
// writes only its own rows.
//
// Level 1 of the filter keeps, per column, the sums of I and I² over the
// 2r+1 guide rows around the current row (col1, col2); a horizontal
// running sum over them gives each window's sums, hence a, b and the
// window's weight w. Level 2 keeps the same kind of column sums of w·a,
// w·b and w (colA, colB, colW) over 2r+1 rows, with those rows in a ring
// so the oldest can be taken out; a second horizontal running sum gives
// the weighted means. Column arrays use padded column numbers like
// guide's.
type part struct {
	b      *Beauty
	j0, j1 int

	// This frame's region of interest: α rows [aFirst, aLast] and columns
	// [x0, x1) cover every sample whose skin weight (after its 3×3 blur)
	// can be non-zero, with identity samples around them. Elsewhere
	// α = 1 and β = 0, and nothing is computed.
	aFirst, aLast int
	x0, x1        int

	col1, col2   []int32
	ringA, ringB []int32 // 2r+1 rows × gs, row k at k mod (2r+1): w·a, w·b
	ringW        []int32 // and the windows' weights w
	colA, colB   []int32
	colW         []int32

	alpha, beta []int32 // ring of 3 rows × cw: the per-sample linear map, Q12
	span        [3][2]int
	mRow        []int32 // the current row's skin weight after its 3×3 blur
	wRow, wbRow []int32 // and its smoothing and brightening weights, /256
	vtmp, vtmp2 []int32 // cw+2: a row's vertical pass, index i+1
	// hAlpha, hBeta: ring of 3 rows × width, the map of each α row
	// interpolated along the row to full width (¾ of the nearer sample,
	// ¼ of the next), so a luma row only interpolates between two rows.
	hAlpha, hBeta []int32

	// Chroma is filtered in place, so the band keeps the originals of the
	// rows it has already written (orig, by row parity) and, saved in the
	// first phase, of the rows just outside it (edge: j0−1 and j1), which
	// the neighbouring bands may be rewriting meanwhile.
	edgeU, edgeV [2][]byte
	origU, origV [2][]byte
	prevU, prevV []byte // the original of the row above the current one
}

func newPart(b *Beauty, j0, j1 int) *part {
	cw, gs := b.cw, b.gs
	k := 2*b.radius + 1
	i32 := func(n int) []int32 { return make([]int32, n) }
	row := func() []byte { return make([]byte, cw) }
	return &part{
		b: b, j0: j0, j1: j1,
		col1: i32(gs), col2: i32(gs), colA: i32(gs), colB: i32(gs), colW: i32(gs),
		ringA: i32(k * gs), ringB: i32(k * gs), ringW: i32(k * gs),
		alpha: i32(3 * cw), beta: i32(3 * cw),
		mRow: i32(cw), wRow: i32(cw), wbRow: i32(cw),
		vtmp: i32(cw + 2), vtmp2: i32(cw + 2), hAlpha: i32(3 * b.width), hBeta: i32(3 * b.width),
		edgeU: [2][]byte{row(), row()}, edgeV: [2][]byte{row(), row()},
		origU: [2][]byte{row(), row()}, origV: [2][]byte{row(), row()},
	}
}

// saveEdges copies the chroma rows bordering the band (first phase, when
// no one writes chroma yet).
func (p *part) saveEdges() {
	b, f := p.b, &p.b.frame
	for e, j := range [2]int{p.j0 - 1, p.j1} {
		if j >= 0 && j < b.ch {
			copy(p.edgeU[e], f.u[j*f.us:][:b.cw])
			copy(p.edgeV[e], f.v[j*f.vs:][:b.cw])
		}
	}
}

// filter is the second phase for this band: the guided filter, streamed
// row by row, and the writing of luma and chroma.
func (p *part) filter() {
	b := p.b
	f := &b.frame
	r := b.radius
	first, last := max(p.j0-1, 0), min(p.j1, b.ch-1) // α rows the band's luma rows need
	if !p.findROI(first, last) {
		return
	}
	if f.s256 > 0 {
		p.prime(p.aFirst)
	}
	for j := first; j <= last; j++ {
		switch {
		case j >= p.aFirst && j <= p.aLast:
			p.alphaRow(j)
			p.widen(j)
		case j == p.aFirst-1 || j == p.aLast+1:
			p.identityRow(j) // a neighbour of the region reads it
			p.widen(j)
		default:
			p.span[j%3] = [2]int{}
		}
		if j >= p.j0 && j < p.j1 {
			p.chromaRow(j)
		}
		// Luma rows 2j−1 and 2j lie between α rows j−1 and j, the first
		// nearer j−1, the second nearer j: both are ready now.
		if j >= p.j0 { // row j0−1's luma rows belong to the band above
			p.lumaRows(j)
		}
		if f.s256 > 0 && j >= p.aFirst && j < p.aLast {
			p.step(j+r+1, true)
		}
	}
}

// findROI sets the region of interest for α rows [first, last] from the
// skin found in the first phase; false if there is no skin near the band.
func (p *part) findROI(first, last int) bool {
	b := p.b
	if b.full {
		p.aFirst, p.aLast, p.x0, p.x1 = first, last, 0, b.cw
		return true
	}
	lo, hi := int32(b.cw), int32(0)
	rLo, rHi := -1, -1
	// The mask's 3×3 blur reaches one row and column further.
	for j := max(first-1, 0); j <= min(last+1, b.ch-1); j++ {
		if b.skinHi[j] > b.skinLo[j] {
			lo, hi = min(lo, b.skinLo[j]), max(hi, b.skinHi[j])
			if rLo < 0 {
				rLo = j
			}
			rHi = j
		}
	}
	if rLo < 0 {
		return false
	}
	p.aFirst, p.aLast = max(first, rLo-1), min(last, rHi+1)
	// Weights reach one column past the skin; luma interpolation reads one
	// more either side; one more is identity for certain.
	p.x0, p.x1 = max(int(lo)-3, 0), min(int(hi)+3, b.cw)
	return true
}

// ownsLuma says whether luma row y is in the picture and this band's.
func (p *part) ownsLuma(y int) bool {
	return y >= 2*p.j0 && y < 2*p.j1 && y >= 0 && y < p.b.height
}

// prime fills both levels for α row j: level 1 for row j−r, then level 2
// with rows j−r..j+r. Rows above the picture repeat its top row (and
// columns its edge columns), as if the picture went on.
func (p *part) prime(j int) {
	b := p.b
	r, pad := b.radius, b.pad
	c0, c1 := p.x0-2*r+pad, p.x1+2*r+2+pad
	col1, col2 := p.col1[c0:c1], p.col2[c0:c1]
	clear(col1)
	clear(col2)
	for l := j - 2*r; l <= j; l++ {
		g := p.guideRow(l)[c0:c1]
		for i, v := range g {
			col1[i] += int32(v)
			col2[i] += int32(v) * int32(v)
		}
	}
	a0, a1 := p.x0-r+pad, p.x1+r+1+pad
	clear(p.colA[a0:a1])
	clear(p.colB[a0:a1])
	clear(p.colW[a0:a1])
	for k := j - r; k <= j+r; k++ {
		p.step(k, false)
	}
}

// guideRow is guide row l, padded, l clamped into the picture.
func (p *part) guideRow(l int) []uint8 {
	b := p.b
	return b.guide[min(max(l, 0), b.ch-1)*b.gs:][:b.gs]
}

// step computes the filter's a and b for row k from level 1 (which must
// be at row k), adds them to level 2 (taking out row k−2r−1, which they
// replace in the ring, when sub), and moves level 1 on to row k+1.
func (p *part) step(k int, sub bool) {
	b := p.b
	r, pad := b.radius, b.pad
	side := int64(2*r + 1)
	n := side * side
	shift := b.varShift
	alut := b.alut[:aTableSize]
	recip := b.recipN

	// a and b over columns [x0−r, x1+r], read by level 2's horizontal sums.
	c0, c1 := p.x0-r+pad, p.x1+r+1+pad
	o := ((k%int(side) + int(side)) % int(side)) * b.gs
	ra, rb, rw := p.ringA[o:][c0:c1], p.ringB[o:][c0:c1], p.ringW[o:][c0:c1]
	if !sub { // the slot holds a row from an earlier frame: nothing to take out
		clear(ra)
		clear(rb)
		clear(rw)
	}
	nn := len(ra)
	rb, rw = rb[:nn], rw[:nn]
	ca, cb, cw := p.colA[c0:c1][:nn], p.colB[c0:c1][:nn], p.colW[c0:c1][:nn]
	c1s, c2s := p.col1, p.col2
	var s1, s2 int64
	for c := c0 - r; c <= c0+r; c++ {
		s1 += int64(c1s[c])
		s2 += int64(c2s[c])
	}
	in1, in2 := c1s[c0+r+1:c1+r+1], c2s[c0+r+1:c1+r+1]
	out1, out2 := c1s[c0-r:c1-r], c2s[c0-r:c1-r]
	for i := range ra {
		// n²·var = n·ΣI² − (ΣI)²; a and the weight from the table;
		// b = (1−a)·mean in Q4 levels (≤ 4080, so w·b fits with room for
		// (2r+1)² of them).
		e := int64(alut[min((n*s2-s1*s1)>>shift, aTableSize-1)])
		a, w := e&0xFFFF, e>>16
		bq := (((4096 - a) * s1) * recip) >> 40
		wa, wb := int32(w*a), int32(w*bq)
		ca[i] += wa - ra[i]
		cb[i] += wb - rb[i]
		cw[i] += int32(w) - rw[i]
		ra[i], rb[i], rw[i] = wa, wb, int32(w)
		s1 += int64(in1[i] - out1[i])
		s2 += int64(in2[i] - out2[i])
	}

	// Level 1 on to row k+1: guide row k+r+1 in, k−r out.
	g0, g1 := p.x0-2*r+pad, p.x1+2*r+2+pad
	gin, gout := p.guideRow(k + r + 1)[g0:g1], p.guideRow(k - r)[g0:g1]
	col1, col2 := p.col1[g0:g1], p.col2[g0:g1]
	for i, v := range gin {
		x, y := int32(v), int32(gout[i])
		col1[i] += x - y
		col2[i] += x*x - y*y
	}
}

// alphaRow computes row j's linear map (α, β) and the weights its chroma
// uses, from level 2 (the means of a and b around row j) and the skin
// weight.
func (p *part) alphaRow(j int) {
	b := p.b
	f := &b.frame
	r, pad, cw := b.radius, b.pad, b.cw
	p.maskRow(j)
	x0, x1 := p.x0, p.x1
	o := (j % 3) * cw
	al, be := p.alpha[o+x0:o+x1], p.beta[o+x0:o+x1]
	n := len(al)
	m, wr, wbr := p.mRow[x0:x1], p.wRow[x0:x1][:n], p.wbRow[x0:x1][:n]
	be, m = be[:n], m[:n]
	s256, b256 := int64(f.s256), int64(f.b256)

	if f.s256 > 0 {
		// Level 2's horizontal running sums: window [i−r, i+r] of colA,
		// colB, colW; Σw·a/Σw and Σw·b/Σw are the filter's A and B (one
		// division per sample, in floating point, which is faster than
		// two integer ones), and the map blends the filtered Y = A·Y + B
		// with Y by the skin weight w.
		var sa, sb, sw int64
		c0 := x0 + pad
		for c := c0 - r; c <= c0+r; c++ {
			sa += int64(p.colA[c])
			sb += int64(p.colB[c])
			sw += int64(p.colW[c])
		}
		inA, inB, inW := p.colA[c0+r+1:][:n], p.colB[c0+r+1:][:n], p.colW[c0+r+1:][:n]
		outA, outB, outW := p.colA[c0-r:][:n], p.colB[c0-r:][:n], p.colW[c0-r:][:n]
		for i := range al {
			w := (s256*int64(m[i]) + 128) >> 8
			inv := 1 / float64(sw)                // ≥ (2r+1)²: every weight is ≥ 1
			A := int64(float64(sa) * inv)         // Q12
			B := int64(float64(sb) * (inv * 256)) // Q4 → Q12
			sa += int64(inA[i] - outA[i])
			sb += int64(inB[i] - outB[i])
			sw += int64(inW[i] - outW[i])
			al[i] = int32(4096 + ((A-4096)*w)>>8)
			be[i] = int32((B * w) >> 8)
			wr[i] = int32(w)
		}
	} else {
		for i := range al {
			al[i], be[i], wr[i] = 4096, 0, 0
		}
	}

	if f.b256 == 0 {
		clear(wbr)
		return
	}
	// Brighten: the tone curve's tangent at the smoothed local level μ,
	// weighted by wb, composed after the smoothing map.
	guide := p.guideRow(j)[pad+x0:][:n]
	slope, icpt := &b.tone.slope, &b.tone.icpt
	for i := range al {
		wb := (b256*int64(m[i]) + 128) >> 8
		wbr[i] = int32(wb)
		if wb == 0 {
			continue
		}
		alpha, beta := int64(al[i]), int64(be[i])
		mu := uint8(min(max((alpha*int64(guide[i])+beta+2048)>>12, 0), 255))
		g := 4096 + ((int64(slope[mu])-4096)*wb)>>8
		al[i] = int32((alpha * g) >> 12)
		be[i] = int32((beta*g)>>12 + (int64(icpt[mu])*wb)>>8)
	}
}

// identityRow makes row j's map the identity across the region.
func (p *part) identityRow(j int) {
	o := (j % 3) * p.b.cw
	al, be := p.alpha[o+p.x0:o+p.x1], p.beta[o+p.x0:o+p.x1]
	for i := range al {
		al[i], be[i] = 4096, 0
	}
	p.span[j%3] = [2]int{}
}

// maskRow blurs the raw skin weight around row j with [1 2 1]×[1 2 1]
// over the region, so the smoothing fades in over a few pixels instead of
// stopping at a chroma sample's edge, and records where it is non-zero:
// the row's span, outside which its map is the identity.
func (p *part) maskRow(j int) {
	b := p.b
	gs, pad := b.gs, b.pad
	x0, x1 := p.x0, p.x1
	n := x1 - x0
	row := func(l int) []uint8 { return b.skin[min(max(l, 0), b.ch-1)*gs+pad+x0-1:][:n+2] }
	up, mid, dn := row(j-1), row(j), row(j+1)
	v := p.vtmp[:n+2]
	for i := range v {
		v[i] = int32(up[i]) + 2*int32(mid[i]) + int32(dn[i])
	}
	m := p.mRow[x0:x1]
	lo, hi := b.cw, 0
	prev, cur := v[0], v[1]
	for i, next := range v[2:][:len(m)] {
		mi := (prev + 2*cur + next + 8) >> 4
		m[i] = mi
		if mi != 0 {
			lo = min(lo, x0+i)
			hi = x0 + i + 1
		}
		prev, cur = cur, next
	}
	p.span[j%3] = [2]int{lo, hi}
}

// chromaRow writes chroma row j: on skin, a 3×3 [1 2 1] blur blended in
// by the smoothing weight (colour noise is blotchy and the eye forgives
// soft colour far more than soft luma), then Brighten's slight
// desaturation.
func (p *part) chromaRow(j int) {
	b := p.b
	f := &b.frame
	cw := b.cw
	u, v := f.u[j*f.us:][:cw], f.v[j*f.vs:][:cw]
	sp := p.span[j%3]
	if sp[0] >= sp[1] {
		p.prevU, p.prevV = u, v // unchanged, so its own original
		return
	}
	oU, oV := p.origU[j&1], p.origV[j&1]
	copy(oU, u)
	copy(oV, v)
	upU, upV := p.prevU, p.prevV
	switch {
	case j == 0:
		upU, upV = oU, oV
	case j == p.j0:
		upU, upV = p.edgeU[0], p.edgeV[0]
	}
	var dnU, dnV []byte
	switch {
	case j == b.ch-1:
		dnU, dnV = oU, oV
	case j+1 == p.j1:
		dnU, dnV = p.edgeU[1], p.edgeV[1]
	default:
		dnU, dnV = f.u[(j+1)*f.us:][:cw], f.v[(j+1)*f.vs:][:cw]
	}
	lo, hi := sp[0], sp[1]
	vu, vv := p.vtmp[:cw+2], p.vtmp2[:cw+2]
	vertical121(vu, upU, oU, dnU, lo, hi)
	vertical121(vv, upV, oV, dnV, lo, hi)
	wr, wbr := p.wRow[lo:hi], p.wbRow[lo:hi]
	n := len(wr)
	wbr = wbr[:n]
	du, dv := u[lo:hi][:n], v[lo:hi][:n]
	mu, mv := oU[lo:hi][:n], oV[lo:hi][:n]
	// The blend stays between the sample and its blur, and the
	// desaturation between the sample and grey: no clamping needed. The
	// [1 2 1] along the row rolls over the vertical sums (index i+1).
	pu, cu0 := vu[lo], vu[lo+1]
	pv, cv0 := vv[lo], vv[lo+1]
	nu, nv := vu[lo+2:][:n], vv[lo+2:][:n]
	for i := range du {
		w := wr[i]
		tu := (pu + 2*cu0 + nu[i] + 8) >> 4
		tv := (pv + 2*cv0 + nv[i] + 8) >> 4
		pu, cu0, pv, cv0 = cu0, nu[i], cv0, nv[i]
		cu, cv := int32(mu[i]), int32(mv[i])
		cu += ((tu - cu) * w) >> 8
		cv += ((tv - cv) * w) >> 8
		if k := 256 - (whiten*wbr[i])>>8; k != 256 {
			cu = 128 + ((cu-128)*k)>>8
			cv = 128 + ((cv-128)*k)>>8
		}
		du[i], dv[i] = uint8(cu), uint8(cv)
	}
	p.prevU, p.prevV = oU, oV
}

// vertical121 writes up + 2·mid + dn for columns [lo−1, hi] into vt at
// index column+1, the row's ends repeated.
func vertical121(vt []int32, up, mid, dn []byte, lo, hi int) {
	cw := len(mid)
	c0, c1 := max(lo-1, 0), min(hi+1, cw)
	u, m, d := up[c0:c1], mid[c0:c1], dn[c0:c1]
	out := vt[c0+1 : c1+1][:len(m)]
	u, d = u[:len(m)], d[:len(m)]
	for c, x := range m {
		out[c] = int32(u[c]) + 2*int32(x) + int32(d[c])
	}
	if lo == 0 {
		vt[0] = vt[1]
	}
	if hi == cw {
		vt[cw+1] = vt[cw]
	}
}

// widen interpolates row j's map along the row to full width over the
// region: luma pixel 2i is ¾ sample i and ¼ sample i−1, pixel 2i+1 ¾
// sample i and ¼ sample i+1 (weights ×4). Reads stop at the region's
// edges, where the map is the identity anyway (or the picture ends).
func (p *part) widen(j int) {
	b := p.b
	w, cw := b.width, b.cw
	x0, x1 := p.x0, p.x1
	o := (j % 3) * cw
	for k, src := range [2][]int32{p.alpha[o : o+cw], p.beta[o : o+cw]} {
		dst := p.hAlpha
		if k == 1 {
			dst = p.hBeta
		}
		dst = dst[(j%3)*w:][:w]
		s := src[x0:x1]
		n := len(s)
		if n == 1 {
			dst[2*x0] = 4 * s[0]
			if 2*x0+1 < w {
				dst[2*x0+1] = 4 * s[0]
			}
			continue
		}
		// The first sample leans on itself; then a rolling window of the
		// previous, this and the next sample (cheaper than indexing
		// around i: no bounds checks); the last leans on itself.
		d := dst[2*x0 : min(2*x1, w)] // an odd width's last sample has one pixel
		prev, cur := s[0], s[0]
		for i, next := range s[1:] {
			t := 3 * cur
			q := d[2*i : 2*i+2 : 2*i+2]
			q[0] = t + prev
			q[1] = t + next
			prev, cur = cur, next
		}
		d[2*(n-1)] = 3*cur + prev
		if 2*n-1 < len(d) {
			d[2*n-1] = 4 * cur
		}
	}
}

// lumaRows writes the band's luma rows among 2j−1 and 2j (and 2j+1 when
// j is the last α row, leaning on j alone) with the map interpolated
// between α rows j−1 and j, ¾ from the nearer, already widened along the
// rows: together the bilinear upsampling of a 2× reduction. Only the
// stretch within reach of skin is touched.
func (p *part) lumaRows(j int) {
	b := p.b
	f := &b.frame
	cw, w := b.cw, b.width
	up := max(j-1, 0)
	lo, hi := cw, 0
	for _, s := range [2][2]int{p.span[up%3], p.span[j%3]} {
		if s[0] < s[1] {
			lo, hi = min(lo, s[0]), max(hi, s[1])
		}
	}
	if lo >= hi {
		return // no skin within reach: the rows stay as they are
	}
	// Pixels of the samples beside the weighted ones lean on them.
	x0, x1 := 2*max(lo-1, 0), min(2*min(hi+1, cw), w)
	n := x1 - x0
	au, aj := p.hAlpha[(up%3)*w:][x0:x1][:n], p.hAlpha[(j%3)*w:][x0:x1][:n]
	bu, bj := p.hBeta[(up%3)*w:][x0:x1][:n], p.hBeta[(j%3)*w:][x0:x1][:n]
	top, bot := 2*j-1, 2*j
	switch {
	case p.ownsLuma(top) && p.ownsLuma(bot):
		rt, rb := f.y[top*f.ys:][x0:x1][:n], f.y[bot*f.ys:][x0:x1][:n]
		for x := range rt {
			sa, sb := au[x]+aj[x], bu[x]+bj[x] // each row is this plus twice its nearer
			rt[x] = mapPixel(sa+2*au[x], sb+2*bu[x], rt[x])
			rb[x] = mapPixel(sa+2*aj[x], sb+2*bj[x], rb[x])
		}
	case p.ownsLuma(top):
		lumaRow(f.y[top*f.ys:][x0:x1], au, aj, bu, bj)
	case p.ownsLuma(bot):
		lumaRow(f.y[bot*f.ys:][x0:x1], aj, au, bj, bu)
	}
	if y := 2*j + 1; j == b.ch-1 && p.ownsLuma(y) {
		lumaRow(f.y[y*f.ys:][x0:x1], aj, aj, bj, bj)
	}
}

// lumaRow maps one luma row with the widened maps of its nearer (¾) and
// further (¼) α rows.
func lumaRow(row []uint8, an, af, bn, bf []int32) {
	n := len(row)
	an, af, bn, bf = an[:n], af[:n], bn[:n], bf[:n]
	for x, v := range row {
		row[x] = mapPixel(3*an[x]+af[x], 3*bn[x]+bf[x], v)
	}
}

// mapPixel is α·y + β for a map in Q16 (α 65536 is 1, β in 1/65536
// levels), rounded and clamped.
func mapPixel(a, c int32, y uint8) uint8 {
	v := (a*int32(y) + c + 32768) >> 16
	if uint32(v) > 255 { // rare: a branch beats two conditional moves
		v = ^(v >> 31) & 255 // 0 below, 255 above
	}
	return uint8(v)
}
