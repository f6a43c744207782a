package composite

import (
	"fmt"
	"image/color"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

var testBG = yuv{25, 140, 110}

// sourceColour is source i's colour: distinct Y, U and V per source, none
// the background's.
func sourceColour(i int) yuv {
	return yuv{uint8(40 + 22*i), uint8(50 + 20*i), uint8(220 - 19*i)}
}

// TestTemplatesPixelExact: each template with solid program-size sources
// gives, on every luma sample, the colour of the topmost rect holding it
// (or the background), and on every chroma sample that of its block's
// top-left luma pixel. Tiles are scaled (cover) from 16:9 pictures, so
// this also checks that swscale keeps a flat colour exact.
func TestTemplatesPixelExact(t *testing.T) {
	for _, tc := range []struct {
		layout string
		w, h   int
		n      int
	}{
		{"full", 1280, 720, 1},
		{"pip", 1280, 720, 2},
		{"side-by-side", 1280, 720, 2},
		{"grid", 1280, 720, 4},
		{"grid", 1280, 720, 9},
		{"host+3", 1280, 720, 4},
		{"host+3", 360, 640, 4},
		{"host+3", 1920, 1080, 3},
		{"grid", 1920, 1080, 7},
		{"pip", 360, 640, 2},
	} {
		t.Run(fmt.Sprintf("%s_%d_%dx%d", tc.layout, tc.n, tc.w, tc.h), func(t *testing.T) {
			rects, err := Layout(tc.layout, tc.w, tc.h, tc.n)
			require.NoError(t, err)
			c := compositor(t, Options{Width: tc.w, Height: tc.h, Background: testBG})
			colours := make([]yuv, len(rects))
			pics := make([]*astiav.Frame, len(rects))
			for i := range rects {
				colours[i] = sourceColour(i)
				pics[i] = solid(t, tc.w, tc.h, colours[i])
			}
			out := solid(t, tc.w, tc.h, yuv{1, 2, 3})
			require.NoError(t, c.Compose(out, LayersFor(rects), pics))
			checkScene(t, out, testBG, rects, colours)
			for i, r := range rects {
				require.Equal(t, colours[i], pixel(out, r.X+r.W/2, r.Y+r.H/2), "centre of rect %d", i)
			}
			// A second frame, scalers reused, is the same.
			paint(out, yuv{1, 2, 3})
			require.NoError(t, c.Compose(out, LayersFor(rects), pics))
			checkScene(t, out, testBG, rects, colours)
		})
	}
}

var (
	colC = yuv{30, 200, 60}
	colA = yuv{90, 60, 200}
	colB = yuv{170, 110, 150}
	colD = yuv{230, 160, 90}
)

// lumaRow reads the luma of row y from x0 to x1 (excluded).
func lumaRow(f *astiav.Frame, y, x0, x1 int) []uint8 {
	row := make([]uint8, 0, x1-x0)
	for x := x0; x < x1; x++ {
		row = append(row, at(f, 0, x, y))
	}
	return row
}

// runs checks that row is made of the colours' lumas in order, each over
// a run of the given length, with up to slack samples between two runs
// holding a value between theirs (the scaler's blur at a sharp edge).
func runs(t *testing.T, row []uint8, lumas []uint8, lengths []int, slack int) {
	t.Helper()
	pos := 0
	for k, want := range lumas {
		lo, hi := pos, pos+lengths[k]
		if k > 0 {
			lo += slack
		}
		if k < len(lumas)-1 {
			hi -= slack
		}
		for x := lo; x < hi; x++ {
			require.Equal(t, want, row[x], "run %d at %d: %v", k, x, row)
		}
		if k > 0 {
			a, b := min(lumas[k-1], want), max(lumas[k-1], want)
			for x := pos - slack; x < pos+slack; x++ {
				require.True(t, row[x] >= a && row[x] <= b, "edge %d at %d: %v", k, x, row)
			}
		}
		pos += lengths[k]
	}
	require.Equal(t, len(row), pos)
}

// TestFits: a 640×360 picture of four vertical bands (C A | B D) in a
// 120×160 portrait tile. Cover cuts the sides and shows the centre: A and
// B, 60 px each, full height. Contain shows all four bands, 30 px each,
// 68 px high (120·360/640 = 67.5, rounded), centred, with background
// bars above and below. Stretch shows all four, full height.
func TestFits(t *testing.T) {
	pic := bands(t, 640, 360, colC, colA, colB, colD)
	r := Rect{100, 200, 120, 160}
	c := compositor(t, Options{Width: 1280, Height: 720, Background: testBG})
	out := frame(t, 1280, 720)
	lumas := func(cs ...yuv) []uint8 {
		var l []uint8
		for _, c := range cs {
			l = append(l, c[0])
		}
		return l
	}
	compose := func(fit Fit) {
		require.NoError(t, c.Compose(out, []Layer{{Rect: r, Fit: fit, Opacity: 1}}, []*astiav.Frame{pic}))
	}

	compose(FitCover)
	for y := r.Y; y < r.Y+r.H; y++ {
		runs(t, lumaRow(out, y, r.X, r.X+r.W), lumas(colA, colB), []int{60, 60}, 2)
	}
	require.Equal(t, colA, pixel(out, r.X+20, r.Y+80))
	require.Equal(t, colB, pixel(out, r.X+100, r.Y+80))
	checkOutside(t, out, r, testBG)

	compose(FitStretch)
	for y := r.Y; y < r.Y+r.H; y++ {
		runs(t, lumaRow(out, y, r.X, r.X+r.W), lumas(colC, colA, colB, colD), []int{30, 30, 30, 30}, 2)
	}
	require.Equal(t, colC, pixel(out, r.X+10, r.Y+80))
	require.Equal(t, colD, pixel(out, r.X+110, r.Y+80))
	checkOutside(t, out, r, testBG)

	compose(FitContain)
	inner := Rect{r.X, r.Y + 46, 120, 68}
	for y := r.Y; y < r.Y+r.H; y++ {
		row := lumaRow(out, y, r.X, r.X+r.W)
		if inner.has(r.X, y) {
			runs(t, row, lumas(colC, colA, colB, colD), []int{30, 30, 30, 30}, 2)
		} else {
			runs(t, row, lumas(testBG), []int{120}, 0)
		}
	}
	require.Equal(t, testBG, pixel(out, r.X+60, r.Y+10), "bar above")
	require.Equal(t, testBG, pixel(out, r.X+60, r.Y+150), "bar below")
	require.Equal(t, colA, pixel(out, r.X+45, r.Y+80))
	checkOutside(t, out, inner, testBG)

	// A portrait picture in a landscape rect: bars left and right. The
	// picture is 180·360/640 = 101.25 → 101 px wide, at 109 px in.
	wide := Rect{301, 401, 320, 180}
	tall := bands(t, 360, 640, colC, colA, colB, colD)
	require.NoError(t, c.Compose(out, []Layer{{Rect: wide, Fit: FitContain, Opacity: 1}}, []*astiav.Frame{tall}))
	shown := Rect{wide.X + 109, wide.Y, 101, 180}
	checkOutside(t, out, shown, testBG)
	for y := shown.Y; y < shown.Y+shown.H; y++ {
		for x := shown.X; x < shown.X+shown.W; x++ {
			require.NotEqual(t, testBG[0], at(out, 0, x, y), "(%d, %d)", x, y)
		}
	}
}

// quadrants is a w × h frame whose four quadrants have the colours q, in
// reading order.
func quadrants(t testing.TB, w, h int, q [4]yuv) *astiav.Frame {
	f := frame(t, w, h)
	for i := 0; i < 3; i++ {
		p, s := av.Plane(f, i)
		pw, ph := w, h
		if i > 0 {
			pw, ph = (w+1)/2, (h+1)/2
		}
		for y := 0; y < ph; y++ {
			for x := 0; x < pw; x++ {
				p[y*s+x] = q[2*(2*y/ph)+2*x/pw][i]
			}
		}
	}
	return f
}

var quads = [4]yuv{{50, 70, 90}, {110, 130, 150}, {170, 190, 210}, {230, 30, 40}}

// TestCrop: a crop that leaves the rect's size is copied, not scaled (no
// scaler is made), at odd offsets too; a cropped region scaled to another
// size shows only what the crop kept.
func TestCrop(t *testing.T) {
	pic := quadrants(t, 1280, 720, quads)
	c := compositor(t, Options{Width: 1280, Height: 720, Background: testBG})
	out := frame(t, 1280, 720)
	compose := func(r Rect, k Crop) {
		t.Helper()
		require.NoError(t, c.Compose(out, []Layer{{Rect: r, Crop: k, Opacity: 1}}, []*astiav.Frame{pic}))
	}

	r := Rect{100, 100, 640, 360}
	compose(r, Crop{Left: 640, Top: 360})
	require.Nil(t, c.layers[0].ssc, "same size: copied")
	checkScene(t, out, testBG, []Rect{r}, []yuv{quads[3]})

	r = Rect{11, 21, 638, 358}
	compose(r, Crop{Left: 641, Top: 361, Right: 1, Bottom: 1})
	require.Nil(t, c.layers[0].ssc)
	checkScene(t, out, testBG, []Rect{r}, []yuv{quads[3]})

	// Across the quadrant edges, at an odd offset: pixel (x, y) of the
	// rect is the picture's (601 + x, 341 + y).
	r = Rect{0, 0, 679, 379}
	compose(r, Crop{Left: 601, Top: 341})
	require.Nil(t, c.layers[0].ssc)
	check(t, out, func(x, y int) (yuv, bool) {
		if !r.has(x, y) {
			return testBG, true
		}
		sx, sy := 601+x, 341+y
		return quads[2*(sy/360)+sx/640], true
	})

	r = Rect{300, 200, 320, 180}
	compose(r, Crop{Left: 640, Bottom: 360})
	require.NotNil(t, c.layers[0].ssc, "scaled")
	checkScene(t, out, testBG, []Rect{r}, []yuv{quads[1]})
}

// TestOpacity: 0.5 and 0.25 blend exactly as documented, over a layer
// and over the background; the bars of a contained picture blend the
// background; 0 draws nothing.
func TestOpacity(t *testing.T) {
	p, q := yuv{200, 60, 220}, yuv{40, 240, 20}
	under, over := solid(t, 1280, 720, p), solid(t, 1280, 720, q)
	c := compositor(t, Options{Width: 1280, Height: 720, Background: testBG})
	out := frame(t, 1280, 720)
	full, r := Rect{0, 0, 1280, 720}, Rect{101, 99, 201, 99}

	// (q + p + 1) >> 1
	half := yuv{120, 150, 120}
	require.NoError(t, c.Compose(out, []Layer{{Rect: full, Opacity: 1}, {Rect: r, Opacity: 0.5}}, []*astiav.Frame{under, over}))
	checkScene(t, out, testBG, []Rect{full, r}, []yuv{p, half})

	// (q·64 + bg·192 + 128) >> 8: Y (2560 + 4800 + 128) >> 8 = 29,
	// U (15360 + 26880 + 128) >> 8 = 165, V (1280 + 21120 + 128) >> 8 = 88.
	quarter := yuv{29, 165, 88}
	require.NoError(t, c.Compose(out, []Layer{{Rect: r, Opacity: 0.25}}, []*astiav.Frame{over}))
	checkScene(t, out, testBG, []Rect{r}, []yuv{quarter})

	// Contained at 0.5 over p: the picture blends q, the bars blend the
	// background: (25 + 200 + 1) >> 1 = 113, (140 + 60 + 1) >> 1 = 100,
	// (110 + 220 + 1) >> 1 = 165.
	tile := Rect{400, 100, 120, 160} // a 16:9 picture: 120 × 68 at y = 146
	shown := Rect{400, 146, 120, 68}
	require.NoError(t, c.Compose(out, []Layer{{Rect: full, Opacity: 1}, {Rect: tile, Fit: FitContain, Opacity: 0.5}}, []*astiav.Frame{under, over}))
	checkScene(t, out, testBG, []Rect{full, tile, shown}, []yuv{p, {113, 100, 165}, half})

	paint(out, yuv{1, 2, 3})
	require.NoError(t, c.Compose(out, []Layer{{Rect: full, Opacity: 1}, {Rect: r, Opacity: 0}, {Rect: r, Opacity: 0.001}}, []*astiav.Frame{under, over, over}))
	checkScene(t, out, testBG, []Rect{full}, []yuv{p})
}

// TestZOrder: a later layer is drawn over an earlier one.
func TestZOrder(t *testing.T) {
	c := compositor(t, Options{Width: 640, Height: 360, Background: testBG})
	out := frame(t, 640, 360)
	a, b := Rect{100, 100, 300, 200}, Rect{250, 150, 300, 171}
	pa, pb := solid(t, 640, 360, sourceColour(0)), solid(t, 640, 360, sourceColour(1))
	require.NoError(t, c.Compose(out, LayersFor([]Rect{a, b}), []*astiav.Frame{pa, pb}))
	checkScene(t, out, testBG, []Rect{a, b}, []yuv{sourceColour(0), sourceColour(1)})
	require.Equal(t, sourceColour(1), pixel(out, 300, 200))
	require.NoError(t, c.Compose(out, LayersFor([]Rect{b, a}), []*astiav.Frame{pb, pa}))
	checkScene(t, out, testBG, []Rect{b, a}, []yuv{sourceColour(1), sourceColour(0)})
	require.Equal(t, sourceColour(0), pixel(out, 300, 200))
}

// TestClipping: rects reaching past any edge show their inside part; a
// rect wholly outside draws nothing and makes no scaler; odd positions
// and sizes keep luma exact and chroma by the rule (a 1-pixel-wide rect
// at an odd x owns no chroma).
func TestClipping(t *testing.T) {
	c := compositor(t, Options{Width: 640, Height: 360, Background: testBG})
	out := frame(t, 640, 360)
	rects := []Rect{
		{-50, -31, 201, 101},
		{561, 281, 200, 100},
		{-10, 150, 700, 51},
		{700, 0, 100, 100},
		{0, -200, 100, 100},
		{301, 51, 33, 17},
		{0, 0, 1, 1},
		{135, 252, 1, 3},
		{200, 300, 2, 2},
	}
	pics := make([]*astiav.Frame, len(rects))
	colours := make([]yuv, len(rects))
	for i := range rects {
		colours[i] = sourceColour(i)
		pics[i] = solid(t, 640, 360, colours[i])
	}
	require.NoError(t, c.Compose(out, LayersFor(rects), pics))
	checkScene(t, out, testBG, rects, colours)
	require.Nil(t, c.layers[3].ssc, "wholly outside: not scaled")
	require.Nil(t, c.layers[4].ssc, "wholly outside: not scaled")
	require.Equal(t, testBG[1], at(out, 1, 67, 126), "the 1-pixel column at x = 135 owns no chroma")
}

// TestNilPictureClearsLayer: a nil picture leaves its rect to what is
// below, background included; a nil host does not stop the guests.
func TestNilPictureClearsLayer(t *testing.T) {
	rects, err := Layout("host+3", 360, 640, 4)
	require.NoError(t, err)
	c := compositor(t, Options{Width: 360, Height: 640, Background: testBG})
	out := frame(t, 360, 640)
	pics := make([]*astiav.Frame, 4)
	for i := range pics {
		pics[i] = solid(t, 360, 640, sourceColour(i))
	}
	pics[2] = nil
	require.NoError(t, c.Compose(out, LayersFor(rects), pics))
	checkScene(t, out, testBG, []Rect{rects[0], rects[1], rects[3]}, []yuv{sourceColour(0), sourceColour(1), sourceColour(3)})
	pics[0] = nil
	require.NoError(t, c.Compose(out, LayersFor(rects), pics))
	checkScene(t, out, testBG, []Rect{rects[1], rects[3]}, []yuv{sourceColour(1), sourceColour(3)})
	require.NoError(t, c.Compose(out, nil, nil))
	checkScene(t, out, testBG, nil, nil)
}

// TestOpaqueFullLayerHidesBelow: what is under an opaque full-canvas
// layer is not drawn (its scaler is not even made).
func TestOpaqueFullLayerHidesBelow(t *testing.T) {
	c := compositor(t, Options{Width: 640, Height: 360, Background: testBG})
	out := frame(t, 640, 360)
	rects := []Rect{{10, 10, 100, 100}, {-5, -5, 700, 400}, {20, 20, 50, 50}}
	pics := []*astiav.Frame{solid(t, 640, 360, sourceColour(0)), solid(t, 640, 360, sourceColour(1)), solid(t, 640, 360, sourceColour(2))}
	require.NoError(t, c.Compose(out, LayersFor(rects), pics))
	checkScene(t, out, testBG, rects, []yuv{sourceColour(0), sourceColour(1), sourceColour(2)})
	require.Nil(t, c.layers[0].ssc)
	require.NotNil(t, c.layers[1].ssc)
}

// TestScalerReuse: a layer keeps its scaler while its region and target
// sizes stay; a crop moved within the picture keeps it too; a new rect
// size makes a new one. Compose keeps no caller picture.
func TestScalerReuse(t *testing.T) {
	c := compositor(t, Options{Width: 1280, Height: 720})
	out := frame(t, 1280, 720)
	pic := pattern(t, 1280, 720, 1)
	layer := Layer{Rect: Rect{10, 10, 320, 180}, Crop: Crop{Left: 100, Right: 100}, Opacity: 1}
	require.NoError(t, c.Compose(out, []Layer{layer}, []*astiav.Frame{pic}))
	first := c.layers[0].ssc
	require.NotNil(t, first)
	require.Nil(t, c.layers[0].pic)
	layer.Crop = Crop{Left: 150, Right: 50}
	layer.Rect.X = 500
	require.NoError(t, c.Compose(out, []Layer{layer}, []*astiav.Frame{pic}))
	require.Same(t, first, c.layers[0].ssc)
	layer.Rect.W = 322
	require.NoError(t, c.Compose(out, []Layer{layer}, []*astiav.Frame{pic}))
	require.NotSame(t, first, c.layers[0].ssc)
	require.Equal(t, 322, c.layers[0].buf.Width())
}

func TestComposeErrors(t *testing.T) {
	c := compositor(t, Options{Width: 640, Height: 360})
	out := frame(t, 640, 360)
	pic := solid(t, 640, 360, colA)
	rgba := astiav.AllocFrame()
	defer rgba.Free()
	rgba.SetWidth(640)
	rgba.SetHeight(360)
	rgba.SetPixelFormat(astiav.PixelFormatRgba)
	require.NoError(t, rgba.AllocBuffer(0))
	r := Rect{0, 0, 100, 100}
	for _, tc := range []struct {
		name   string
		dst    *astiav.Frame
		layers []Layer
		pics   []*astiav.Frame
		want   string
	}{
		{"dst size", frame(t, 640, 362), nil, nil, "not yuv420p 640x360"},
		{"dst format", rgba, nil, nil, "not yuv420p 640x360"},
		{"counts", out, []Layer{{Rect: r, Opacity: 1}}, nil, "1 layers but 0 pictures"},
		{"opacity", out, []Layer{{Rect: r, Opacity: 1.5}}, []*astiav.Frame{pic}, "layers[0]: opacity 1.5"},
		{"opacity<0", out, []Layer{{Rect: r, Opacity: 1}, {Rect: r, Opacity: -0.1}}, []*astiav.Frame{pic, pic}, "layers[1]: opacity -0.1"},
		{"fit", out, []Layer{{Rect: r, Opacity: 1, Fit: 7}}, []*astiav.Frame{pic}, "fit 7"},
		{"crop<0", out, []Layer{{Rect: r, Opacity: 1, Crop: Crop{Left: -1}}}, []*astiav.Frame{pic}, "must not be negative"},
		{"crop all", out, []Layer{{Rect: r, Opacity: 1, Crop: Crop{Left: 320, Right: 320}}}, []*astiav.Frame{pic}, "leaves nothing of a 640x360 picture"},
		{"picture format", out, []Layer{{Rect: r, Opacity: 1}}, []*astiav.Frame{rgba}, "picture is rgba"},
		{"huge rect", out, []Layer{{Rect: Rect{0, 0, 2561, 10}, Opacity: 1}}, []*astiav.Frame{pic}, "larger than 4×"},
	} {
		err := c.Compose(tc.dst, tc.layers, tc.pics)
		require.ErrorContains(t, err, tc.want, tc.name)
	}
	// A shared destination would change someone else's picture.
	shared := astiav.AllocFrame()
	defer shared.Free()
	require.NoError(t, shared.Ref(out))
	require.ErrorContains(t, c.Compose(out, nil, nil), "not writable")
}

func TestNewErrors(t *testing.T) {
	for _, o := range []Options{{Width: 0, Height: 720}, {Width: 1281, Height: 720}, {Width: 1280, Height: -2}} {
		_, err := New(o)
		require.ErrorContains(t, err, "must be positive and even", "%+v", o)
	}
	_, err := New(Options{Width: 64, Height: 64, BackgroundImage: "/nonexistent/bg.png"})
	require.ErrorContains(t, err, "background image /nonexistent/bg.png")
}

// TestComposeAllocatesNothing: after the first frame, a busy scene
// (scaled tiles, a blended contained layer, a clipped one, a copied crop,
// a cleared one) makes no Go allocation per frame, on a colour or an
// image background.
func TestComposeAllocatesNothing(t *testing.T) {
	rects, err := Layout("host+3", 1280, 720, 4)
	require.NoError(t, err)
	rects[0] = Rect{0, 0, 1280, 700} // so that the background shows
	layers := append(LayersFor(rects),
		Layer{Rect: Rect{101, 51, 333, 201}, Fit: FitContain, Opacity: 0.6},
		Layer{Rect: Rect{-40, 600, 300, 200}, Opacity: 1},
		Layer{Rect: Rect{500, 10, 100, 50}, Crop: Crop{Left: 10, Top: 10, Right: 1170, Bottom: 660}, Opacity: 1})
	pics := make([]*astiav.Frame, len(layers))
	for i := range pics {
		pics[i] = pattern(t, 1280, 720, i)
	}
	pics[3] = nil
	image := writePNG(t, 32, 18, func(x, y int) color.NRGBA { return color.NRGBA{uint8(8 * x), uint8(14 * y), 99, 255} })
	for _, o := range []Options{{Width: 1280, Height: 720}, {Width: 1280, Height: 720, BackgroundImage: image}} {
		c := compositor(t, o)
		out := frame(t, 1280, 720)
		require.NoError(t, c.Compose(out, layers, pics))
		require.Zero(t, testing.AllocsPerRun(20, func() {
			if err := c.Compose(out, layers, pics); err != nil {
				t.Fatal(err)
			}
		}), "%+v", o)
	}
}

// TestFitGeometry pins what plan cuts from a picture (region x, y, w, h)
// and where it goes (target x, y, w, h) for each fit, with the rounding
// the Fit docs give.
func TestFitGeometry(t *testing.T) {
	c := compositor(t, Options{Width: 1920, Height: 1080})
	for _, tc := range []struct {
		pw, ph int
		layer  Layer
		region [4]int
		target [4]int
	}{
		// 1280×720 into 135×180: keep 720·135/180 = 540 wide, cut 740: 370 in.
		{1280, 720, Layer{Rect: Rect{1145, 450, 135, 180}}, [4]int{370, 0, 540, 720}, [4]int{1145, 450, 135, 180}},
		// 1920×1080 into 202×270: keep 808, cut 1112: 556 in.
		{1920, 1080, Layer{Rect: Rect{1718, 675, 202, 270}}, [4]int{556, 0, 808, 1080}, [4]int{1718, 675, 202, 270}},
		// 640×360 into 120×160: keep 270, cut 370: 185 is odd, so 184.
		{640, 360, Layer{Rect: Rect{0, 0, 120, 160}}, [4]int{184, 0, 270, 360}, [4]int{0, 0, 120, 160}},
		// 360×640 into 320×180: keep 360·180/320 = 202.5 → 203 high, cut 437: 218 in.
		{360, 640, Layer{Rect: Rect{0, 0, 320, 180}}, [4]int{0, 218, 360, 203}, [4]int{0, 0, 320, 180}},
		// Crop first (10 px each side → 620 × 340), then cover 100×100:
		// keep 340 wide, cut 280: 10 + 140.
		{640, 360, Layer{Rect: Rect{5, 5, 100, 100}, Crop: Crop{10, 10, 10, 10}}, [4]int{150, 10, 340, 340}, [4]int{5, 5, 100, 100}},
		// Contain: 640×360 in 120×160 is 120 × 67.5 → 68 high, 46 down.
		{640, 360, Layer{Rect: Rect{100, 200, 120, 160}, Fit: FitContain}, [4]int{0, 0, 640, 360}, [4]int{100, 246, 120, 68}},
		// Contain: 360×640 in 320×180 is 101.25 → 101 wide, 109 in.
		{360, 640, Layer{Rect: Rect{301, 401, 320, 180}, Fit: FitContain}, [4]int{0, 0, 360, 640}, [4]int{410, 401, 101, 180}},
		// Stretch: all of it, into the rect.
		{640, 360, Layer{Rect: Rect{-3, 7, 120, 160}, Fit: FitStretch, Crop: Crop{Right: 1}}, [4]int{0, 0, 639, 360}, [4]int{-3, 7, 120, 160}},
	} {
		tc.layer.Opacity = 1
		l := &layerState{}
		require.NoError(t, c.plan(l, &tc.layer, frame(t, tc.pw, tc.ph)))
		require.True(t, l.visible)
		require.Equal(t, tc.region, [4]int{l.sx, l.sy, l.sw, l.sh}, "%dx%d %+v", tc.pw, tc.ph, tc.layer)
		require.Equal(t, tc.target, [4]int{l.tx, l.ty, l.tw, l.th}, "%dx%d %+v", tc.pw, tc.ph, tc.layer)
	}
}
