package source

import "math"

// sampleClock turns the arrival times of audio device buffers into smooth
// capture times. A sound card's sample clock is its own crystal: a "48 kHz"
// device may really run at 48,010 Hz on the program clock, and its buffers
// arrive with scheduling jitter of milliseconds. The clock is a delay-locked
// loop (F. Adriaensen, "Using a DLL to filter time", 2005) over the count of
// samples: it follows the device's true rate and filters the jitter out, so
// each buffer gets the time its first sample was really captured (plus a
// constant delivery latency). FFmpeg's aresample then stretches the audio
// to those times, which is what keeps a long stream's audio on the video.
type sampleClock struct {
	// nominal is the device's stated sample rate.
	nominal float64
	// bandwidth of the loop in Hz: lower follows the rate more slowly and
	// rejects more jitter.
	bandwidth float64

	started bool
	end     float64 // filtered time (s) at which the last buffer ended
	period  float64 // estimated seconds per sample
}

// sampleClockReset is how far a buffer may arrive off the loop's
// prediction before the loop starts over (a device that stalled or
// dropped samples): beyond it the error is no longer jitter.
const sampleClockReset = 0.25

// maxDrift bounds the measured rate to ±0.5 % of the nominal one.
const maxDrift = 0.005

func newSampleClock(nominalRate float64) *sampleClock {
	return &sampleClock{nominal: nominalRate, bandwidth: 0.2, period: 1 / nominalRate}
}

// buffer takes a buffer of n samples that arrived (was complete) at time
// at, in seconds of the program clock, and returns the capture time of its
// first sample. After a jump of more than sampleClockReset the loop
// starts over from the arrival time.
func (c *sampleClock) buffer(n int, at float64) (first float64) {
	if n <= 0 {
		return c.end
	}
	dur := float64(n) * c.period
	if !c.started {
		c.started = true
		c.end = at
		return at - dur
	}
	pred := c.end + dur
	e := at - pred
	if math.Abs(e) > sampleClockReset {
		c.end = at
		return at - dur
	}
	// Second-order loop: the phase follows the error with gain b, the
	// period with gain c (critically damped for this bandwidth).
	w := 2 * math.Pi * c.bandwidth * dur
	b, cc := math.Sqrt2*w, w*w
	first = c.end
	c.end = pred + b*e
	// A real crystal is off by well under 0.1 %; a burst of buffers after a
	// stall must not teach the loop a rate that is 10 % off.
	nom := 1 / c.nominal
	c.period = min(max(c.period+cc*e/float64(n), nom*(1-maxDrift)), nom*(1+maxDrift))
	return first
}
