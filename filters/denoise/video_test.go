package denoise

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

// The static scene: three bands of luma with a strong and a faint
// vertical edge between them, under fresh Gaussian noise every frame.
const (
	vw, vh = 640, 360
	edge1  = vw / 3     // 60 → 190: a strong edge
	edge2  = 2 * vw / 3 // 190 → 166: a faint one
	sigma  = 3.0        // temporal noise, luma levels: an indoor webcam
)

// band is the noiseless luma at column x.
func band(x int) float64 {
	switch {
	case x < edge1:
		return 60
	case x < edge2:
		return 190
	}
	return 166
}

func yuvFrame(t testing.TB, w, h int) *astiav.Frame {
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetWidth(w)
	f.SetHeight(h)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	require.NoError(t, f.AllocBuffer(0))
	return f
}

// noisy fills f with the static scene plus fresh Gaussian noise on luma.
func noisy(f *astiav.Frame, rng *rand.Rand) {
	y, ys := av.Plane(f, 0)
	for r := 0; r < f.Height(); r++ {
		for x := 0; x < f.Width(); x++ {
			y[r*ys+x] = uint8(min(255, max(0, math.Round(band(x)+sigma*rng.NormFloat64()))))
		}
	}
	for i := 1; i < 3; i++ {
		p, _ := av.Plane(f, i)
		for j := range p {
			p[j] = 128
		}
	}
}

// luma copies f's luma plane without stride padding.
func luma(f *astiav.Frame) []float64 {
	y, ys := av.Plane(f, 0)
	out := make([]float64, 0, f.Width()*f.Height())
	for r := 0; r < f.Height(); r++ {
		for x := 0; x < f.Width(); x++ {
			out = append(out, float64(y[r*ys+x]))
		}
	}
	return out
}

func stdDiff(a, b []float64) float64 {
	var s, s2 float64
	for i := range a {
		d := a[i] - b[i]
		s += d
		s2 += d * d
	}
	n := float64(len(a))
	return math.Sqrt(s2/n - (s/n)*(s/n))
}

// contrast is the share of an edge's step (at column x) left in l: the
// mean luma just right of it minus just left of it, over the noiseless step.
func contrast(l []float64, x int) float64 {
	var left, right float64
	for r := 0; r < vh; r++ {
		left += l[r*vw+x-1]
		right += l[r*vw+x]
	}
	return (right - left) / vh / (band(x) - band(x-1))
}

// denoiseRun feeds 30 noisy frames of the static scene and returns the
// std dev of frame-to-frame luma differences over the last 20, in and out,
// and the contrast kept at the two edges in the last output.
func denoiseRun(t *testing.T, v *Video, each func(k int)) (in, out, strong, faint float64) {
	rng := rand.New(rand.NewPCG(5, 6))
	f := yuvFrame(t, vw, vh)
	var prevIn, prevOut []float64
	n := 0
	for k := 0; k < 30; k++ {
		if each != nil {
			each(k)
		}
		noisy(f, rng)
		li := luma(f)
		require.NoError(t, v.Apply(f, time.Duration(k)*time.Second/30))
		require.Equal(t, vw, f.Width())
		require.Equal(t, astiav.PixelFormatYuv420P, f.PixelFormat())
		lo := luma(f)
		if k >= 10 {
			in += stdDiff(li, prevIn)
			out += stdDiff(lo, prevOut)
			n++
		}
		prevIn, prevOut = li, lo
		strong, faint = contrast(lo, edge1), contrast(lo, edge2)
	}
	return in / float64(n), out / float64(n), strong, faint
}

// TestVideoDenoiseStaticScene: on a static frame with fresh noise (σ = 3
// luma levels) each frame, the std dev of frame-to-frame differences at
// least halves at the default strength, and sharp edges keep ≥ 90 % of
// their contrast (a strong 130-level one and a faint 24-level one).
func TestVideoDenoiseStaticScene(t *testing.T) {
	v, err := NewVideo(vw, vh, DefaultVideoConfig())
	require.NoError(t, err)
	defer v.Close()
	in, out, strong, faint := denoiseRun(t, v, nil)
	t.Logf("frame-to-frame std dev %.2f -> %.2f (%.0f %%); edge contrast kept: strong %.1f %%, faint %.1f %%",
		in, out, 100*out/in, 100*strong, 100*faint)
	require.LessOrEqual(t, out, in/2, "temporal noise at least halved")
	require.GreaterOrEqual(t, strong, 0.9, "the strong edge keeps its contrast")
	require.GreaterOrEqual(t, faint, 0.9, "the faint edge keeps its contrast")
}

// TestVideoDenoiseStrength: 0 leaves frames untouched, 1 removes more than
// the default, and a live change (filter commands) in the middle keeps the
// temporal memory: the frame after it is no noisier than the one before.
func TestVideoDenoiseStrength(t *testing.T) {
	require.Equal(t, "hqdn3d=luma_spatial=4:chroma_spatial=3:luma_tmp=6:chroma_tmp=4.5", hqdn3dArgs(0.5), "0.5 is hqdn3d's default")

	v, err := NewVideo(vw, vh, VideoConfig{Strength: 0})
	require.NoError(t, err)
	defer v.Close()
	f := yuvFrame(t, vw, vh)
	noisy(f, rand.New(rand.NewPCG(1, 1)))
	before := luma(f)
	require.NoError(t, v.Apply(f, 0))
	require.Equal(t, before, luma(f), "strength 0: untouched")

	v.SetStrength(0.5)
	in, half, _, _ := denoiseRun(t, v, nil)
	v.SetStrength(1)
	_, full, _, _ := denoiseRun(t, v, nil)
	t.Logf("std dev of differences: in %.2f, strength 0.5 %.2f, 1 %.2f", in, half, full)
	require.Less(t, full, half)

	// Live change mid-run: measure the frame difference right after the
	// rebuild against the ones just before it.
	v.SetStrength(0.5)
	rng := rand.New(rand.NewPCG(9, 9))
	var prev []float64
	diffs := []float64{}
	for k := 0; k < 20; k++ {
		if k == 15 {
			v.SetStrength(0.55)
		}
		noisy(f, rng)
		require.NoError(t, v.Apply(f, 0))
		l := luma(f)
		if prev != nil {
			diffs = append(diffs, stdDiff(l, prev))
		}
		prev = l
	}
	t.Logf("differences around a live change at frame 15: %.2f", diffs[10:])
	require.LessOrEqual(t, diffs[14], 1.5*diffs[13], "no burst of noise after the rebuild")

	v.SetStrength(math.NaN())
	require.Equal(t, 0.55, v.Strength())
}

// TestVideoDenoiseGapForgets: after a pause longer than MaxGap the last
// picture is not blended into the next one. The scene brightens by 5
// levels during the pause, a change hqdn3d's temporal filter would mostly
// average away against its memory.
func TestVideoDenoiseGapForgets(t *testing.T) {
	for _, gap := range []time.Duration{time.Second / 30, time.Second} {
		v, err := NewVideo(vw, vh, DefaultVideoConfig())
		require.NoError(t, err)
		f := yuvFrame(t, vw, vh)
		fill := func(level byte) {
			for i := 0; i < 3; i++ {
				p, _ := av.Plane(f, i)
				for j := range p {
					p[j] = 128
				}
			}
			y, _ := av.Plane(f, 0)
			for j := range y {
				y[j] = level
			}
		}
		at := time.Duration(0)
		for k := 0; k < 10; k++ {
			fill(100)
			require.NoError(t, v.Apply(f, at))
			at += time.Second / 30
		}
		fill(105)
		require.NoError(t, v.Apply(f, at-time.Second/30+gap))
		y, ys := av.Plane(f, 0)
		got := y[vh/2*ys+vw/2]
		t.Logf("gap %v: 100 then 105 comes out as %d", gap, got)
		if gap > MaxGap {
			require.Equal(t, byte(105), got, "a fresh start after a long gap")
		} else {
			require.Less(t, got, byte(104), "memory kept across a normal frame interval")
		}
		v.Close()
	}
}

func TestVideoDenoiseChecksFrames(t *testing.T) {
	v, err := NewVideo(vw, vh, DefaultVideoConfig())
	require.NoError(t, err)
	defer v.Close()
	require.Error(t, v.Apply(yuvFrame(t, 320, 180), 0), "wrong size")
	_, err = NewVideo(vw, vh, VideoConfig{Strength: -1})
	require.Error(t, err)
}

func TestVideoDenoiseAllocatesNothing(t *testing.T) {
	v, err := NewVideo(vw, vh, DefaultVideoConfig())
	require.NoError(t, err)
	defer v.Close()
	f := yuvFrame(t, vw, vh)
	noisy(f, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, v.Apply(f, 0))
	require.Zero(t, testing.AllocsPerRun(20, func() {
		if err := v.Apply(f, 0); err != nil {
			t.Fatal(err)
		}
	}))
}

// TestVideoDenoiseLive is for -race.
func TestVideoDenoiseLive(t *testing.T) {
	v, err := NewVideo(64, 64, DefaultVideoConfig())
	require.NoError(t, err)
	defer v.Close()
	f := yuvFrame(t, 64, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			v.SetStrength(float64(i%5) / 4)
		}
	}()
	for i := 0; i < 50; i++ {
		require.NoError(t, v.Apply(f, 0))
	}
	<-done
}
