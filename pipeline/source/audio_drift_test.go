package source

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

// driftSim is a capture device simulated faster than real time: its
// crystal runs at trueRate on the program clock while it claims
// nominalRate, and it delivers fixed-size buffers with scheduling jitter.
// Every markEvery seconds of program time it captures a click, so the
// output shows where each instant of capture ended up.
type driftSim struct {
	trueRate, nominalRate int
	bufferSamples         int
	latency               time.Duration // constant delivery delay
	jitter                time.Duration // uniform extra delay per buffer
	markEvery             time.Duration
	// gapAt..gapAt+gap: the device delivers nothing (a stall; the samples
	// captured meanwhile are lost, or with burst delivered all at once
	// when it ends, as a server that was busy does).
	gapAt, gap time.Duration
	burst      bool
}

// result is, per click, how far its output time was from its capture time.
type driftResult struct {
	offsets  []time.Duration
	produced int64 // output samples
	elapsed  time.Duration
}

// run feeds the converter (or, corrected=false, a naive one that trusts the
// nominal rate) for dur of program time.
func (s driftSim) run(t *testing.T, dur time.Duration, corrected bool) driftResult {
	out := Format{SampleRate: 48000, Channels: 2}
	c := newAudioConverter(s.nominalRate, out)
	defer c.close()
	if !corrected {
		c.clock.bandwidth = 0 // the loop never moves: nominal rate, first buffer's phase
	}
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]float32, s.bufferSamples*2)
	var res driftResult
	var clicks []time.Duration // capture time of each click, in order
	nextClick := s.markEvery
	var captured int64 // device samples so far
	pending := 0       // clicks not yet found in the output
	emit := func(f *astiav.Frame) {
		l := av.PlanarFloat(f, 0)
		for i, v := range l {
			if v > 0.5 && pending < len(clicks) {
				at := time.Duration(float64(f.Pts()+int64(i)) / 48000 * float64(time.Second))
				res.offsets = append(res.offsets, at-clicks[pending])
				pending++
			}
		}
		res.produced = f.Pts() + int64(f.NbSamples())
	}
	for {
		start := time.Duration(float64(captured) / float64(s.trueRate) * float64(time.Second))
		if start >= dur {
			break
		}
		inGap := s.gap > 0 && start >= s.gapAt && start < s.gapAt+s.gap
		if inGap && !s.burst {
			captured += int64(s.bufferSamples)
			nextClick = max(nextClick, s.gapAt+s.gap)
			continue
		}
		clear(buf)
		for i := 0; i < s.bufferSamples; i++ {
			at := time.Duration(float64(captured+int64(i)) / float64(s.trueRate) * float64(time.Second))
			if at >= nextClick {
				buf[2*i], buf[2*i+1] = 1, 1
				clicks = append(clicks, at)
				nextClick += s.markEvery
			}
		}
		captured += int64(s.bufferSamples)
		end := time.Duration(float64(captured) / float64(s.trueRate) * float64(time.Second))
		arrival := end + s.latency + time.Duration(rng.Int64N(int64(s.jitter)+1))
		if inGap {
			arrival = s.gapAt + s.gap + s.latency // held back, then all at once
		}
		require.NoError(t, c.push(buf, s.bufferSamples, arrival, emit))
		res.elapsed = end
	}
	require.Len(t, res.offsets, len(clicks)-boolInt(pending < len(clicks)), "every click but possibly the last comes out once")
	return res
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func spread(d []time.Duration) (lo, hi time.Duration) {
	lo, hi = d[0], d[0]
	for _, v := range d {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// TestCaptureDriftHourStaysInSync is the measure: an hour of a
// device whose crystal runs 10 Hz fast (48,010 Hz against the program's
// 48,000), simulated faster than real time, keeps every captured instant
// within one video frame (33 ms) of where it belongs.
func TestCaptureDriftHourStaysInSync(t *testing.T) {
	for _, tc := range []struct {
		rate int
		dur  time.Duration
	}{{48010, time.Hour}, {47990, 10 * time.Minute}} {
		t.Run(strconv.Itoa(tc.rate), func(t *testing.T) { driftHour(t, tc.rate, tc.dur) })
	}
}

func driftHour(t *testing.T, rate int, dur time.Duration) {
	sim := driftSim{trueRate: rate, nominalRate: 48000, bufferSamples: 480,
		latency: 5 * time.Millisecond, jitter: 4 * time.Millisecond, markEvery: 30 * time.Second}
	res := sim.run(t, dur, true)
	lo, hi := spread(res.offsets)
	t.Logf("%s at %d Hz: %d clicks, output offset %v…%v, output %d samples for %.3f s (%.1f ms off)",
		dur, rate, len(res.offsets), lo, hi, res.produced, res.elapsed.Seconds(),
		(float64(res.produced)/48000-res.elapsed.Seconds())*1000)
	frame := time.Second / 30
	for i, o := range res.offsets {
		require.Less(t, o.Abs(), frame, "click %d is %v from its capture time", i, o)
	}
	require.Less(t, hi-lo, 5*time.Millisecond, "the offset must not wander (drift)")
	require.InDelta(t, res.elapsed.Seconds(), float64(res.produced)/48000, 0.040, "output length follows the program clock")
}

// TestCaptureDriftUncorrectedWouldFail shows the measure can fail: the same
// device counted at its nominal rate is a whole video frame off within
// five minutes (208 ppm is 62 ms).
func TestCaptureDriftUncorrectedWouldFail(t *testing.T) {
	sim := driftSim{trueRate: 48010, nominalRate: 48000, bufferSamples: 480,
		latency: 5 * time.Millisecond, jitter: 4 * time.Millisecond, markEvery: 30 * time.Second}
	res := sim.run(t, 5*time.Minute, false)
	last := res.offsets[len(res.offsets)-1]
	t.Logf("uncorrected, last click %v off", last)
	require.Greater(t, last.Abs(), time.Second/30)
}

// TestCaptureRateConversion checks the other half of the converter: a
// 44.1 kHz device (a PulseAudio monitor's usual rate) comes out at 48 kHz
// with its tone intact and on time.
func TestCaptureRateConversion(t *testing.T) {
	sim := driftSim{trueRate: 44100, nominalRate: 44100, bufferSamples: 441,
		latency: 2 * time.Millisecond, jitter: 2 * time.Millisecond, markEvery: 2 * time.Second}
	res := sim.run(t, 20*time.Second, true)
	lo, hi := spread(res.offsets)
	require.Less(t, max(lo.Abs(), hi.Abs()), 10*time.Millisecond)
	require.InDelta(t, 20.0, float64(res.produced)/48000, 0.03)
}

// TestCaptureStallResumesInPlace: a device that delivers nothing for two
// seconds comes back at the right place (the gap is filled with silence),
// not two seconds late.
func TestCaptureStallResumesInPlace(t *testing.T) {
	sim := driftSim{trueRate: 47990, nominalRate: 48000, bufferSamples: 1024,
		latency: 10 * time.Millisecond, jitter: 8 * time.Millisecond, markEvery: 5 * time.Second,
		gapAt: 21 * time.Second, gap: 2 * time.Second}
	res := sim.run(t, 60*time.Second, true)
	lo, hi := spread(res.offsets)
	t.Logf("offsets %v…%v", lo, hi)
	require.Len(t, res.offsets, 11, "clicks at 5…55 s, none lost but the ones in the gap")
	require.Less(t, max(lo.Abs(), hi.Abs()), time.Second/30)
	require.InDelta(t, 60.0, float64(res.produced)/48000, 0.05)
}

// TestCaptureBurstAfterStall: a device that holds 400 ms of buffers back
// and then delivers them at once does not throw the clock off: the loop's
// rate estimate stays within its bounds and, a few seconds on, every
// captured instant is back within a video frame of its place.
func TestCaptureBurstAfterStall(t *testing.T) {
	sim := driftSim{trueRate: 48000, nominalRate: 48000, bufferSamples: 480,
		latency: 10 * time.Millisecond, jitter: 4 * time.Millisecond, markEvery: time.Second,
		gapAt: 10 * time.Second, gap: 400 * time.Millisecond, burst: true}
	res := sim.run(t, 30*time.Second, true)
	t.Logf("offsets: %v", res.offsets)
	for i, o := range res.offsets {
		if i < 9 || i >= 14 { // before the stall, and from 4 s after it
			require.Less(t, o.Abs(), time.Second/30, "click %d at %d s is %v off", i, i+1, o)
		}
	}
	require.InDelta(t, 30.0, float64(res.produced)/48000, 0.05)
}

// BenchmarkAudioConvert is the capture thread's work per device buffer:
// 10 ms of stereo at 48 kHz stamped, drift-corrected and cut into program
// frames. It must not allocate.
func BenchmarkAudioConvert(b *testing.B) {
	c := newAudioConverter(48000, Format{SampleRate: 48000, Channels: 2})
	defer c.close()
	buf := make([]float32, 960)
	for i := range buf {
		buf[i] = float32(math.Sin(float64(i) / 10))
	}
	frames := 0
	emit := func(*astiav.Frame) { frames++ }
	at := time.Duration(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at += 10 * time.Millisecond
		if err := c.push(buf, 480, at, emit); err != nil {
			b.Fatal(err)
		}
	}
}
