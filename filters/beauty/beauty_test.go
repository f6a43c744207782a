package beauty

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func newStage(t testing.TB, w, h int, cfg Config) *Beauty {
	t.Helper()
	b, err := New(w, h, cfg)
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

func process(t testing.TB, b *Beauty, p *picture) {
	t.Helper()
	require.NoError(t, b.Process(p.y, p.u, p.v, p.ys, p.cs))
}

// measures is what the portrait test asserts on, before against after.
type measures struct {
	noise      float64 // luma σ of the skin away from every edge
	rim        float64 // luma σ of the skin 3–10 pixels above the brow band
	edge       float64 // mean luma a few pixels above the band minus below it
	bgChange   float64 // mean |Δ| over background Y, U, V samples, of 255
	bgTexture  float64 // background luma σ after, over before
	bgMaxDelta int     // the largest change of any background sample
}

func measure(before, after *portrait) measures {
	var m measures
	s, b := after.skin, after.band
	calm := func(x, y int) bool {
		return s.inset(24).in(x, y) && !(rect{b.x0 - 24, b.y0 - 24, b.x1 + 24, b.y1 + 24}).in(x, y)
	}
	_, n0 := lumaStats(before.picture, calm)
	_, n1 := lumaStats(after.picture, calm)
	m.noise = n1 / n0
	rim := func(x, y int) bool { return x >= b.x0+24 && x < b.x1-24 && y >= b.y0-10 && y <= b.y0-3 }
	_, r0 := lumaStats(before.picture, rim)
	_, r1 := lumaStats(after.picture, rim)
	m.rim = r1 / r0

	// The band's upper edge, rows 2–5 away on either side, away from its ends.
	edge := func(p *picture) float64 {
		up := func(x, y int) bool { return x >= b.x0+24 && x < b.x1-24 && y >= b.y0-5 && y <= b.y0-2 }
		dn := func(x, y int) bool { return x >= b.x0+24 && x < b.x1-24 && y >= b.y0+2 && y <= b.y0+5 }
		a, _ := lumaStats(p, up)
		c, _ := lumaStats(p, dn)
		return a - c
	}
	m.edge = edge(after.picture) / edge(before.picture)

	bg := rect{s.x0 - bgMargin, s.y0 - bgMargin, s.x1 + bgMargin, s.y1 + bgMargin}
	isBg := func(x, y int) bool { return !bg.in(x, y) }
	var sum, n float64
	add := func(p0, p1 []byte, i int) {
		d := int(p1[i]) - int(p0[i])
		if d < 0 {
			d = -d
		}
		sum += float64(d)
		n++
		m.bgMaxDelta = max(m.bgMaxDelta, d)
	}
	for y := range after.h {
		for x := range after.w {
			if isBg(x, y) {
				add(before.y, after.y, y*after.ys+x)
			}
		}
	}
	for cy := range after.ch {
		for cx := range after.cw {
			if isBg(2*cx, 2*cy) && isBg(2*cx+1, 2*cy+1) {
				add(before.u, after.u, cy*after.cs+cx)
				add(before.v, after.v, cy*after.cs+cx)
			}
		}
	}
	m.bgChange = sum / n / 255
	_, t0 := lumaStats(before.picture, isBg)
	_, t1 := lumaStats(after.picture, isBg)
	m.bgTexture = t1 / t0
	return m
}

// TestPortrait is the filter's purpose at strength 1: skin noise at least
// halved, the brow edge kept at 90 % of its contrast or more, the
// background changed by less than 2 %.
func TestPortrait(t *testing.T) {
	for _, size := range []struct{ w, h int }{{640, 360}, {1280, 720}, {1920, 1080}} {
		before := newPortrait(size.w, size.h, 0, 1)
		after := &portrait{picture: before.clone(), skin: before.skin, band: before.band}
		b := newStage(t, size.w, size.h, Config{Strength: 1})
		process(t, b, after.picture)
		m := measure(before, after)
		t.Logf("%dx%d: skin noise ×%.3f (beside the edge ×%.3f), edge ×%.3f, background Δ %.4f%% (max %d), texture ×%.4f",
			size.w, size.h, m.noise, m.rim, m.edge, 100*m.bgChange, m.bgMaxDelta, m.bgTexture)
		require.Less(t, m.noise, 0.5, "skin noise must fall by half at least")
		require.Less(t, m.rim, 0.5, "and beside the edge too")
		require.GreaterOrEqual(t, m.edge, 0.9, "the brow edge keeps 90 % of its contrast")
		require.Less(t, m.bgChange, 0.02, "the background changes by less than 2 %")
		require.InDelta(t, 1, m.bgTexture, 0.02, "the background keeps its texture")
	}
}

// TestSkinTones: pale to deep complexions (sRGB skin colours converted to
// BT.601) are all found and smoothed; the weight does not favour light
// skin.
func TestSkinTones(t *testing.T) {
	for _, tc := range []struct {
		name string
		skin tone
	}{
		{"pale", tone{202, 115, 143}},   // sRGB 240,210,190
		{"light", tone{179, 108, 150}},  // 225,180,150
		{"medium", tone{146, 107, 152}}, // 190,140,110
		{"tan", tone{120, 107, 152}},    // 160,110,80
		{"dark", tone{84, 113, 147}},    // 110,70,50
		{"deep", tone{62, 120, 140}},    // 70,45,35
	} {
		before := newPortraitTone(640, 360, 0, 6, tc.skin)
		after := &portrait{picture: before.clone(), skin: before.skin, band: before.band}
		process(t, newStage(t, 640, 360, Config{Strength: 1}), after.picture)
		m := measure(before, after)
		t.Logf("%s: skin noise ×%.3f", tc.name, m.noise)
		require.Less(t, m.noise, 0.5, tc.name)
	}
}

// TestStrengthZeroIsIdentity: strength 0 (and no brightening) leaves
// every byte, padding included, as it was.
func TestStrengthZeroIsIdentity(t *testing.T) {
	before := newPortrait(641, 361, 13, 2)
	after := before.clone()
	b := newStage(t, 641, 361, Config{})
	process(t, b, after)
	require.True(t, bytes.Equal(before.y, after.y) && bytes.Equal(before.u, after.u) && bytes.Equal(before.v, after.v))
}

// TestStrengthTakesEffectNextFrame: a strength set between frames is the
// next frame's, from another goroutine too; a lower strength smooths less.
func TestStrengthTakesEffectNextFrame(t *testing.T) {
	src := newPortrait(640, 360, 0, 3)
	b := newStage(t, 640, 360, Config{Strength: 1})
	noise := func() float64 {
		p := &portrait{picture: src.clone(), skin: src.skin, band: src.band}
		process(t, b, p.picture)
		return measure(src, p).noise
	}
	full := noise()
	done := make(chan struct{})
	go func() { b.SetStrength(0.3); close(done) }()
	<-done
	require.Equal(t, 0.3, b.Strength())
	weak := noise()
	b.SetStrength(0)
	off := src.clone()
	process(t, b, off)
	t.Logf("noise ×%.3f at 1, ×%.3f at 0.3", full, weak)
	require.Less(t, full, weak)
	require.Less(t, weak, 0.95)
	require.True(t, bytes.Equal(src.y, off.y) && bytes.Equal(src.u, off.u) && bytes.Equal(src.v, off.v), "back to 0: untouched")
	b.SetStrength(1)
	require.InDelta(t, full, noise(), 1e-9, "and back to 1: as the first frame")

	b.SetStrength(7)
	require.Equal(t, 1.0, b.Strength(), "clamped")
	b.SetStrength(math.NaN())
	require.Equal(t, 0.0, b.Strength(), "NaN is off")
}

// TestBandsAndRegionDoNotChangeTheResult: the picture is cut into bands
// that overlap, and only the region around skin is filtered; neither may
// show. Every way of running it gives the same bytes as one band
// filtering every sample, on an odd size with padded lines.
func TestBandsAndRegionDoNotChangeTheResult(t *testing.T) {
	src := newPortrait(643, 371, 7, 4)
	run := func(bands int, full bool, cfg Config) *picture {
		b, err := newBeauty(643, 371, cfg, bands)
		require.NoError(t, err)
		defer b.Close()
		b.full = full
		p := src.clone()
		process(t, b, p)
		return p
	}
	for _, cfg := range []Config{{Strength: 1}, {Strength: 0.4, Brighten: 0.7}, {Brighten: 1}} {
		want := run(1, true, cfg)
		require.False(t, bytes.Equal(want.y, src.y), "%+v changes the picture", cfg)
		for _, bands := range []int{1, 2, 3, 4} {
			got := run(bands, false, cfg)
			require.True(t, bytes.Equal(want.y, got.y), "%+v, %d bands: luma", cfg, bands)
			require.True(t, bytes.Equal(want.u, got.u), "%+v, %d bands: U", cfg, bands)
			require.True(t, bytes.Equal(want.v, got.v), "%+v, %d bands: V", cfg, bands)
		}
	}
}

// TestOddSizesAndPadding: odd widths and heights (chroma rounded up) and
// padded lines are filtered like the same picture unpadded, and the
// padding is never written.
func TestOddSizesAndPadding(t *testing.T) {
	for _, size := range []struct{ w, h int }{{641, 361}, {640, 361}, {641, 360}, {33, 17}, {2, 2}, {3, 3}, {2, 101}, {3, 57}, {101, 2}, {1921, 3}} {
		padded := newPortrait(size.w, size.h, 9, 5)
		tight := newPicture(size.w, size.h, 0)
		for y := range size.h {
			copy(tight.y[y*tight.ys:][:size.w], padded.y[y*padded.ys:])
		}
		for y := range padded.ch {
			copy(tight.u[y*tight.cs:][:tight.cw], padded.u[y*padded.cs:])
			copy(tight.v[y*tight.cs:][:tight.cw], padded.v[y*padded.cs:])
		}
		before := padded.clone()
		b := newStage(t, size.w, size.h, Config{Strength: 1, Brighten: 0.5})
		process(t, b, padded.picture)
		process(t, b, tight)
		changed := false
		for y := range size.h {
			row, want := padded.y[y*padded.ys:][:padded.ys], tight.y[y*tight.ys:][:size.w]
			require.Equal(t, want, row[:size.w], "%dx%d luma row %d", size.w, size.h, y)
			require.Equal(t, before.y[y*padded.ys+size.w:][:9], row[size.w:], "%dx%d luma padding row %d", size.w, size.h, y)
			changed = changed || !bytes.Equal(row, before.y[y*padded.ys:][:padded.ys])
		}
		for y := range padded.ch {
			for _, pl := range [][3][]byte{{padded.u, tight.u, before.u}, {padded.v, tight.v, before.v}} {
				row, want := pl[0][y*padded.cs:][:padded.cs], pl[1][y*tight.cs:][:tight.cw]
				require.Equal(t, want, row[:tight.cw], "%dx%d chroma row %d", size.w, size.h, y)
				require.Equal(t, pl[2][y*padded.cs+tight.cw:][:9], row[tight.cw:], "%dx%d chroma padding row %d", size.w, size.h, y)
			}
		}
		if size.w > 8 {
			require.True(t, changed, "%dx%d: the skin was filtered", size.w, size.h)
		}
	}
}

// TestRejectsWrongPlanes: planes too small for the size, or lines shorter
// than a row, are errors, not panics.
func TestRejectsWrongPlanes(t *testing.T) {
	b := newStage(t, 64, 48, Config{Strength: 1})
	p := newPicture(64, 48, 0)
	require.Error(t, b.Process(p.y[:len(p.y)-1], p.u, p.v, p.ys, p.cs))
	require.Error(t, b.Process(p.y, p.u, p.v[:10], p.ys, p.cs))
	require.Error(t, b.Process(p.y, p.u, p.v, 63, p.cs))
	require.NoError(t, b.Process(p.y, p.u, p.v, p.ys, p.cs))
	b.Close()
	require.ErrorIs(t, b.Process(p.y, p.u, p.v, p.ys, p.cs), ErrClosed)
	b.Close() // twice is fine
	_, err := New(1, 10, Config{})
	require.Error(t, err)
}
