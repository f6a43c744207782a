package denoise

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// process runs in (one slice per channel) through a in blocks of block
// samples and returns the output.
func process(t testing.TB, a *Audio, in [][]float32, block int, each func(k int)) [][]float32 {
	t.Helper()
	out := make([][]float32, len(in))
	planes := make([][]float32, len(in))
	for k, off := 0, 0; off+block <= len(in[0]); k, off = k+1, off+block {
		if each != nil {
			each(k)
		}
		for c := range planes {
			planes[c] = append(planes[c][:0], in[c][off:off+block]...)
		}
		require.NoError(t, a.Process(planes))
		for c := range out {
			out[c] = append(out[c], planes[c]...)
		}
	}
	return out
}

// TestAudioDenoiseSpeech: speech plus white noise at 10 dB SNR (speech RMS
// over its active parts / noise RMS). Aligned by Latency, the noise left in
// the pauses must be ≥ 12 dB lower and the speech level (RMS over the
// active parts) within 3 dB of the clean speech's.
//
// Frames are 20 ms. Active: the clean speech within 30 dB of its loudest
// frame. Pauses: at least 1 s in (the denoiser's start), clean speech
// silent, and no sound within 100 ms either side (afftdn's window smears
// 37 ms).
func TestAudioDenoiseSpeech(t *testing.T) {
	clean := speech(t)
	const frame = rate / 50
	nf := len(clean) / frame
	level := make([]float64, nf)
	loudest := 0.0
	for f := range level {
		level[f] = rmsOver(clean[f*frame:(f+1)*frame], []bool{true}, frame, 0)
		loudest = max(loudest, level[f])
	}
	active, pause := make([]bool, nf), make([]bool, nf)
	for f := range level {
		active[f] = level[f] >= loudest/math.Pow(10, 30.0/20)
		pause[f] = f*frame >= rate
		for g := max(0, f-5); g <= min(nf-1, f+5); g++ {
			if level[g] > 1e-4 {
				pause[f] = false
			}
		}
	}
	speechRMS := rmsOver(clean, active, frame, 0)
	noiseRMS := speechRMS / math.Pow(10, 10.0/20)
	rng := rand.New(rand.NewPCG(10, 20))
	in := [][]float32{make([]float32, len(clean)), make([]float32, len(clean))}
	for c := range in {
		for i, v := range clean {
			in[c][i] = v + float32(noiseRMS*rng.NormFloat64())
		}
	}

	a, err := NewAudio(rate, 2, DefaultAudioConfig())
	require.NoError(t, err)
	defer a.Close()
	d := a.Latency()
	out := process(t, a, in, 1024, nil)
	for c := range out {
		lead := 0.0
		for _, v := range out[c][:d] {
			lead = max(lead, math.Abs(float64(v)))
		}
		// Silence for the latency, but for afftdn's pre-echo: a spectral
		// gain smears each window's start back by up to a window.
		t.Logf("channel %d: largest sample in the first %d (the latency): %.2g (%.0f dB under the noise)", c, d, lead, db(noiseRMS)-db(lead))
		require.Less(t, lead, noiseRMS/100, "leading silence is the latency")
		require.Greater(t, math.Abs(float64(out[c][d])), noiseRMS/100, "the first input sample comes out at the latency")
	}

	noiseIn := rmsOver(in[0], pause, frame, 0)
	for c := range out {
		noiseOut := rmsOver(out[c], pause, frame, d)
		speechOut := rmsOver(out[c], active, frame, d)
		drop := db(noiseIn) - db(noiseOut)
		change := db(speechOut) - db(speechRMS)
		t.Logf("channel %d: speech %.1f dBFS, noise %.1f dBFS (measured floor %.1f dB); pauses %.1f -> %.1f dBFS (%.1f dB lower); speech %.1f -> %.1f dBFS (%+.2f dB; noisy input %.1f)",
			c, db(speechRMS), db(noiseRMS), a.NoiseFloorDB(), db(noiseIn), db(noiseOut), drop, db(speechRMS), db(speechOut), change, db(rmsOver(in[c], active, frame, 0)))
		require.GreaterOrEqual(t, drop, 12.0, "noise floor in the pauses")
		require.LessOrEqual(t, math.Abs(change), 3.0, "speech level")
	}
}

// noise is stereo white noise of the given RMS.
func noise(n int, rms float64) [][]float32 {
	rng := rand.New(rand.NewPCG(3, 4))
	in := [][]float32{make([]float32, n), make([]float32, n)}
	for c := range in {
		for i := range in[c] {
			in[c][i] = float32(rms * rng.NormFloat64())
		}
	}
	return in
}

// clicks is white noise at −30 dBFS RMS (for the denoiser to take away, so
// that on and off differ) with a single-sample click of 0.8 every 100 ms
// from 50 ms on; it returns the clicks' positions too.
func clicks(n int) (in [][]float32, at []int) {
	in = noise(n, 0.0316)
	for p := rate / 20; p < n; p += rate / 10 {
		in[0][p], in[1][p] = 0.8, -0.8
		at = append(at, p)
	}
	return in, at
}

// TestAudioDenoiseToggleKeepsLatency: an instance turned off and on (and
// off and on again in consecutive blocks) mid-stream against two that stay
// on and off, all fed the same noise with clicks.
//
//   - Position: every click comes out exactly Latency() samples later in
//     all three, whatever the state.
//   - No discontinuity: the toggled output never leaves the straight
//     crossfade between the steady outputs, off + u·(on − off), by more than
//     1e-5, with u moving by at most 1/1024 per sample (one block). So X, the
//     most a toggle can add to a sample-to-sample step, is max|on − off| /
//     1024, logged below (a hard switch would add max|on − off| itself).
func TestAudioDenoiseToggleKeepsLatency(t *testing.T) {
	const block = 1024
	in, at := clicks(200 * block)
	on, err := NewAudio(rate, 2, DefaultAudioConfig())
	require.NoError(t, err)
	defer on.Close()
	offCfg := DefaultAudioConfig()
	offCfg.Disabled = true
	off, err := NewAudio(rate, 2, offCfg)
	require.NoError(t, err)
	defer off.Close()
	tog, err := NewAudio(rate, 2, DefaultAudioConfig())
	require.NoError(t, err)
	defer tog.Close()
	require.Equal(t, on.Latency(), tog.Latency())
	require.Equal(t, on.Latency(), off.Latency())
	d := on.Latency()
	require.Equal(t, 1800, d, "afftdn at 48 kHz: 2 hops of delay + 1 hop of buffering")

	yOn := process(t, on, in, block, nil)
	yOff := process(t, off, in, block, nil)
	toggles := map[int]bool{60: false, 120: true, 170: false, 171: true}
	yTog := process(t, tog, in, block, func(k int) {
		if v, ok := toggles[k]; ok {
			tog.SetEnabled(v)
			require.Equal(t, v, tog.Enabled())
		}
	})

	for name, y := range map[string][][]float32{"on": yOn, "off": yOff, "toggled": yTog} {
		for _, p := range at {
			if p+d+200 >= len(y[0]) {
				break
			}
			peak := p + d - 200
			for i := peak; i <= p+d+200; i++ {
				if math.Abs(float64(y[0][i])) > math.Abs(float64(y[0][peak])) {
					peak = i
				}
			}
			require.Equal(t, p+d, peak, "%s: the click at %d comes out at %d, latency %d", name, p, peak, d)
		}
	}

	// The share of on − off each block ends on, and the linear ramp to it
	// across the block from the previous one.
	nb := len(in[0]) / block
	state := make([]float64, nb)
	cur := 1.0
	for k := range state {
		if v, ok := toggles[k]; ok {
			cur = map[bool]float64{false: 0, true: 1}[v]
		}
		state[k] = cur
	}
	share := func(i int) float64 {
		k, j := i/block, i%block
		prev := 1.0
		if k > 0 {
			prev = state[k-1]
		}
		return prev + (state[k]-prev)*float64(j+1)/block
	}
	maxDiff, maxDev := 0.0, 0.0
	for c := range yTog {
		require.Equal(t, in[c][:len(in[c])-d], yOff[c][d:], "off: the input delayed by the latency, bit for bit")
		for i, v := range yTog[c] {
			diff := float64(yOn[c][i] - yOff[c][i])
			maxDiff = max(maxDiff, math.Abs(diff))
			maxDev = max(maxDev, math.Abs(float64(v)-(float64(yOff[c][i])+share(i)*diff)))
		}
	}
	t.Logf("max |on − off| %.3f, so X = %.5f; deviation from the one-block crossfade %.2g", maxDiff, maxDiff/block, maxDev)
	require.LessOrEqual(t, maxDev, 1e-5, "the output follows the one-block crossfade")
}

// TestAudioDenoiseStrength: on steady white noise, the reduction grows with
// the strength, never beyond Strength × MaxReductionDB (the floor the mix
// sets), strength 0 is the dry signal, and a live change lands within a
// block.
func TestAudioDenoiseStrength(t *testing.T) {
	const block = 1024
	in := noise(2*rate, 0.0316)
	a, err := NewAudio(rate, 2, AudioConfig{Strength: 0})
	require.NoError(t, err)
	defer a.Close()
	d := a.Latency()
	// Two seconds per strength; each measured over its last second.
	strengths := []float64{0, 0.25, 0.5, 1}
	per := 2 * rate / block
	feed := make([][]float32, 2)
	for c := range feed {
		for range strengths {
			feed[c] = append(feed[c], in[c][:per*block]...)
		}
	}
	out := process(t, a, feed, block, func(k int) {
		if k%per == 0 {
			a.SetStrength(strengths[k/per])
		}
	})
	prev := -1.0
	for i, s := range strengths {
		from, to := (i*per+per/2)*block, (i+1)*per*block
		noiseIn := rmsOver(feed[0][from-d:to-d], []bool{true}, to-from, 0)
		noiseOut := rmsOver(out[0][from:to], []bool{true}, to-from, 0)
		drop := db(noiseIn) - db(noiseOut)
		t.Logf("strength %.2f: noise %.1f dB lower (at most %.0f)", s, drop, s*MaxReductionDB)
		require.LessOrEqual(t, drop, s*MaxReductionDB+0.5)
		if i > 0 {
			require.Greater(t, drop, prev+3, "more strength, less noise")
		}
		if s == 0 {
			require.Equal(t, feed[0][from-d:to-d], out[0][from:to], "strength 0 is the dry signal")
		}
		prev = drop
	}
	a.SetStrength(math.NaN())
	require.Equal(t, 1.0, a.Strength(), "NaN ignored")
	a.SetStrength(7)
	require.Equal(t, 1.0, a.Strength(), "clamped")
}

func TestAudioDenoiseAllocatesNothing(t *testing.T) {
	a, err := NewAudio(rate, 2, DefaultAudioConfig())
	require.NoError(t, err)
	defer a.Close()
	in, _ := clicks(100 * 1024)
	p := [][]float32{make([]float32, 1024), make([]float32, 1024)}
	k := 0
	step := func() {
		off := (k % 100) * 1024
		copy(p[0], in[0][off:])
		copy(p[1], in[1][off:])
		k++
		if err := a.Process(p); err != nil {
			t.Fatal(err)
		}
	}
	for range 50 {
		step()
	}
	require.Zero(t, testing.AllocsPerRun(200, step))
}

// TestAudioDenoiseOddBlocks: blocks of other sizes (and sizes that change)
// keep the latency; larger than MaxBlock is refused.
func TestAudioDenoiseOddBlocks(t *testing.T) {
	in, at := clicks(rate)
	a, err := NewAudio(rate, 2, DefaultAudioConfig())
	require.NoError(t, err)
	defer a.Close()
	d := a.Latency()
	out := [][]float32{nil, nil}
	sizes := []int{480, 4096, 1, 1000, 1024, 333}
	for off, k := 0, 0; off < len(in[0]); k++ {
		n := min(sizes[k%len(sizes)], len(in[0])-off)
		p := [][]float32{append([]float32(nil), in[0][off:off+n]...), append([]float32(nil), in[1][off:off+n]...)}
		require.NoError(t, a.Process(p))
		out[0], out[1] = append(out[0], p[0]...), append(out[1], p[1]...)
		off += n
	}
	for _, p := range at[:len(at)-1] {
		peak := p
		for i := p; i < p+d+200; i++ {
			if math.Abs(float64(out[0][i])) > math.Abs(float64(out[0][peak])) {
				peak = i
			}
		}
		require.Equal(t, p+d, peak)
	}
	// A NaN or an Inf sample comes out as itself (in the dry share) and
	// nowhere else: afftdn would smear it over its whole window.
	bad := [][]float32{append([]float32(nil), in[0][:1024]...), append([]float32(nil), in[1][:1024]...)}
	bad[0][3], bad[1][7] = float32(math.NaN()), float32(math.Inf(1))
	require.NoError(t, a.Process(bad))
	more := process(t, a, in, 1024, nil)
	for c := range more {
		n := 0
		for _, v := range more[c] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				n++
			}
		}
		require.Equal(t, 1, n, "channel %d: non-finite samples out", c)
	}
	require.Error(t, a.Process([][]float32{make([]float32, MaxBlock+1), make([]float32, MaxBlock+1)}))
	require.Error(t, a.Process([][]float32{make([]float32, 4)}), "one channel of two")
	_, err = NewAudio(rate, 9, DefaultAudioConfig())
	require.Error(t, err)
	_, err = NewAudio(rate, 2, AudioConfig{Strength: 2})
	require.Error(t, err)
}

// TestAudioDenoiseLive is for -race: setters from another goroutine.
func TestAudioDenoiseLive(t *testing.T) {
	a, err := NewAudio(rate, 2, DefaultAudioConfig())
	require.NoError(t, err)
	defer a.Close()
	in, _ := clicks(100 * 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ {
			a.SetStrength(float64(i%10) / 10)
			a.SetEnabled(i%3 != 0)
			_ = a.NoiseFloorDB()
		}
	}()
	process(t, a, in, 1024, nil)
	<-done
}

// Digital silence (a device starting late, a gap the live source fills
// with a block of zeros, both on the block grid) says nothing about the
// noise: the noise around it is reduced as usual, not let through for
// seconds while the tracker climbs back from −100 dBFS.
func TestAudioDenoiseIgnoresDigitalSilence(t *testing.T) {
	const block = 1024
	n := noise(200*block, 0.0316) // −30 dBFS, 4.3 s
	lead := 47 * block            // about 1 s
	feed := make([][]float32, 2)
	for c := range feed {
		feed[c] = append(feed[c], make([]float32, lead)...)
		feed[c] = append(feed[c], n[c][:200*block]...)
		feed[c] = append(feed[c], make([]float32, block)...) // one block of zeros, about 5.3 s in
		feed[c] = append(feed[c], n[c][:150*block]...)
	}
	a, err := NewAudio(rate, 2, DefaultAudioConfig())
	require.NoError(t, err)
	defer a.Close()
	d := a.Latency()
	out := process(t, a, feed, block, nil)
	for _, span := range [][2]float64{{3, 5.2}, {5.5, 8}} {
		from, to := int(span[0]*rate), int(span[1]*rate)
		drop := db(rmsOver(feed[0][from-d:to-d], []bool{true}, to-from, 0)) - db(rmsOver(out[0][from:to], []bool{true}, to-from, 0))
		t.Logf("%.1f–%.1f s: noise %.1f dB lower", span[0], span[1], drop)
		require.Greater(t, drop, 12.0, "noise from %.1f s to %.1f s", span[0], span[1])
	}
}
