package testpeer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A/V sync analysis: a picture that flashes white and a beep at the same
// instants go through the system under test; FlashTimes and BeepOnsets find
// them again in what came out, and PairAV matches them up.

const (
	// BeepHz is the beep frequency of AVSyncInputs.
	BeepHz = 1000
	// BeepSeconds is the beep length of AVSyncInputs.
	BeepSeconds = 0.030
	// beepPeak is the beep amplitude of AVSyncInputs (−2 dBFS peak).
	beepPeak = 0.8
	// minFlashContrast is the least difference in mean luma (0..255)
	// between the darkest and the brightest frame for FlashTimes to see
	// flashes at all.
	minFlashContrast = 64
	// minBeepPeak is the least peak magnitude (−40 dBFS) for BeepOnsets to
	// see beeps at all.
	minBeepPeak = 0.01
	// beepHoldoff is how long the audio must stay below the threshold
	// before a new onset counts.
	beepHoldoff = 0.2
)

// AVSyncInputs returns ffmpeg input arguments (two lavfi inputs, for
// MakeMedia followed by codec options) for an A/V sync test signal lasting
// seconds: a black w×h picture at fps with one full-white frame at every
// whole second from 1 s on (frames fps, 2·fps, …), and 48 kHz stereo
// silence with a 30 ms 1 kHz beep (−2 dBFS peak, starting at zero phase) at
// the same instants plus audioShift seconds (0: in sync; > 0: audio late).
func AVSyncInputs(seconds float64, w, h, fps int, audioShift float64) []string {
	video := fmt.Sprintf("color=c=black:s=%dx%d:r=%d:d=%s,"+
		"drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='gte(n,%d)*eq(mod(n,%d),0)'",
		w, h, fps, ftoa(seconds), fps, fps)
	tt := "t"
	if audioShift != 0 {
		tt = "(t-" + ftoa(audioShift) + ")"
	}
	audio := fmt.Sprintf("aevalsrc='%s*sin(2*PI*%d*%s)*gte(%s,1)*lt(mod(%s,1),%s)':s=48000:c=stereo:d=%s",
		ftoa(beepPeak), BeepHz, tt, tt, tt, ftoa(BeepSeconds), ftoa(seconds))
	return []string{"-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio}
}

// FlashTimes decodes the first video stream and returns, in seconds on the
// file's own timeline (as PacketTimes, ffmpeg -copyts), the presentation
// time of every frame that starts a flash: its mean luma is above the
// midpoint between the darkest and the brightest frame of the file and the
// frame before it is not. With less than 64 levels between the darkest and
// the brightest frame there are no flashes (nil).
func FlashTimes(t testing.TB, path string) []float64 {
	t.Helper()
	out := run(t, need(t, "ffmpeg"), "-nostdin", "-v", "error", "-copyts", "-i", path,
		"-map", "0:v:0", "-vf", "scale=64:36,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-",
		"-f", "null", "-")
	frames, err := parseLuma(out)
	if err != nil {
		t.Fatalf("testpeer: FlashTimes %s: %v", path, err)
	}
	if len(frames) == 0 {
		t.Fatalf("testpeer: FlashTimes: no video frames decoded from %s", path)
	}
	return flashes(frames)
}

// lumaFrame is one decoded frame: presentation time and mean luma.
type lumaFrame struct{ pts, luma float64 }

// parseLuma reads the metadata filter's print output:
//
//	frame:0    pts:0       pts_time:0
//	lavfi.signalstats.YAVG=16.0833
func parseLuma(out []byte) ([]lumaFrame, error) {
	var frames []lumaFrame
	pts := math.NaN()
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "frame:"):
			pts = math.NaN()
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "pts_time:"); ok {
					p, err := strconv.ParseFloat(v, 64)
					if err != nil {
						return nil, fmt.Errorf("bad frame line %q", line)
					}
					pts = p
				}
			}
		case strings.HasPrefix(line, "lavfi.signalstats.YAVG="):
			if math.IsNaN(pts) {
				return nil, fmt.Errorf("luma without a frame time: %q", line)
			}
			v, err := strconv.ParseFloat(strings.TrimPrefix(line, "lavfi.signalstats.YAVG="), 64)
			if err != nil {
				return nil, fmt.Errorf("bad luma line %q", line)
			}
			frames = append(frames, lumaFrame{pts, v})
			pts = math.NaN()
		}
	}
	return frames, sc.Err()
}

// flashes returns the rising edges across the midpoint luma (see
// FlashTimes), frames taken in presentation order.
func flashes(frames []lumaFrame) []float64 {
	sort.SliceStable(frames, func(i, j int) bool { return frames[i].pts < frames[j].pts })
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, f := range frames {
		lo, hi = math.Min(lo, f.luma), math.Max(hi, f.luma)
	}
	if hi-lo < minFlashContrast {
		return nil
	}
	mid := (lo + hi) / 2
	var times []float64
	above := false
	for _, f := range frames {
		now := f.luma > mid
		if now && !above {
			times = append(times, f.pts)
		}
		above = now
	}
	return times
}

// beepRate is the sample rate BeepOnsets decodes at.
const beepRate = 48000

// BeepOnsets decodes the first audio stream to 48 kHz float, with
// `aresample=async=1:first_pts=0` so that sample i plays at i/48000 s on the
// file's own timeline (ffmpeg -copyts; silence before the first sample and
// in gaps of 100 ms or more is filled in), and returns the time of every
// beep onset: the first sample whose magnitude (loudest channel) reaches
// half the file's peak magnitude after at least 200 ms below that level. A
// peak below −40 dBFS means no beeps (nil).
func BeepOnsets(t testing.TB, path string) []float64 {
	t.Helper()
	p := FFprobe(t, path)
	if p.Audio == nil || p.Audio.Channels < 1 {
		t.Fatalf("testpeer: BeepOnsets: %s has no audio stream", path)
	}
	ch := p.Audio.Channels
	raw := run(t, need(t, "ffmpeg"), "-nostdin", "-v", "error", "-copyts", "-i", path,
		"-map", "0:a:0", "-af", fmt.Sprintf("aresample=osr=%d:async=1:first_pts=0", beepRate),
		"-ac", strconv.Itoa(ch), "-f", "f32le", "-")
	n := len(raw) / (4 * ch)
	if n == 0 {
		t.Fatalf("testpeer: BeepOnsets: no audio decoded from %s", path)
	}
	mag := make([]float64, n)
	for i := range mag {
		for c := 0; c < ch; c++ {
			v := math.Abs(float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[(i*ch+c)*4:]))))
			mag[i] = math.Max(mag[i], v)
		}
	}
	return onsets(mag, beepRate)
}

// onsets finds the beep onsets in a magnitude signal (see BeepOnsets).
func onsets(mag []float64, rate float64) []float64 {
	peak := 0.0
	for _, v := range mag {
		peak = math.Max(peak, v)
	}
	if peak < minBeepPeak {
		return nil
	}
	thr := peak / 2
	holdoff := int(beepHoldoff * rate)
	var times []float64
	last := -holdoff - 1 // index of the last sample at or above thr
	for i, v := range mag {
		if v < thr {
			continue
		}
		if i-last > holdoff {
			times = append(times, float64(i)/rate)
		}
		last = i
	}
	return times
}

// AVPair is a flash and the beep matched with it.
type AVPair struct {
	// Flash and Beep are the times in seconds.
	Flash, Beep float64
}

// Offset is Beep − Flash in seconds: positive when the sound comes after
// the picture.
func (p AVPair) Offset() float64 { return p.Beep - p.Flash }

// PairAV matches every flash with the nearest beep not yet taken, if that
// beep is within `within` seconds; flashes without one are left out. Both
// lists must be sorted.
func PairAV(flashes, beeps []float64, within float64) []AVPair {
	var pairs []AVPair
	used := make([]bool, len(beeps))
	for _, f := range flashes {
		best := -1
		for i, b := range beeps {
			if used[i] || math.Abs(b-f) > within {
				continue
			}
			if best < 0 || math.Abs(b-f) < math.Abs(beeps[best]-f) {
				best = i
			}
		}
		if best >= 0 {
			used[best] = true
			pairs = append(pairs, AVPair{Flash: f, Beep: beeps[best]})
		}
	}
	return pairs
}
