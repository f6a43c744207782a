package testpeer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// DecodeErrors decodes every stream of a media file with
// `ffmpeg -v error -i PATH -f null -` and returns what ffmpeg printed,
// trimmed; empty means the file decoded cleanly. A non-zero exit without
// output is reported as the exit status.
func DecodeErrors(t testing.TB, path string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(need(t, "ffmpeg"), "-nostdin", "-v", "error", "-i", path, "-f", "null", "-")
	cmd.Stderr = &stderr
	err := cmd.Run()
	out := strings.TrimSpace(stderr.String())
	if err != nil && out == "" {
		out = fmt.Sprintf("ffmpeg: %v", err)
	}
	return out
}

// MakeMedia generates a test input with
// `ffmpeg -y -v error ARGS... OUTPUT` and returns OUTPUT's path. A name
// without a directory is placed in t.TempDir(). Example:
//
//	in := testpeer.MakeMedia(t, "in.mp4",
//		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
//		"-f", "lavfi", "-i", "sine=f=440:r=44100", "-t", "3",
//		"-c:v", "libx264", "-c:a", "aac", "-shortest")
func MakeMedia(t testing.TB, name string, args ...string) string {
	t.Helper()
	out := name
	if filepath.Base(name) == name {
		out = filepath.Join(t.TempDir(), name)
	}
	full := append([]string{"-nostdin", "-y", "-v", "error"}, args...)
	full = append(full, out)
	run(t, need(t, "ffmpeg"), full...)
	return out
}

// PixelAt decodes the video frame at time sec to rgb24 at the video's own
// size and returns the pixel at (x, y). Colours pass through ffmpeg's
// YUV→RGB conversion, so compare with a tolerance of a few units.
func PixelAt(t testing.TB, path string, sec float64, x, y int) (r, g, b uint8) {
	t.Helper()
	p := FFprobe(t, path)
	if p.Video == nil {
		t.Fatalf("testpeer: PixelAt: %s has no video stream", path)
	}
	w, h := p.Video.Width, p.Video.Height
	if x < 0 || y < 0 || x >= w || y >= h {
		t.Fatalf("testpeer: PixelAt: (%d,%d) outside %dx%d", x, y, w, h)
	}
	raw := run(t, need(t, "ffmpeg"), "-nostdin", "-v", "error",
		"-ss", ftoa(sec), "-i", path, "-an", "-frames:v", "1",
		"-f", "rawvideo", "-pix_fmt", "rgb24", "-")
	if len(raw) != w*h*3 {
		t.Fatalf("testpeer: PixelAt: got %d bytes of rgb24 at %gs, want %dx%dx3=%d", len(raw), sec, w, h, w*h*3)
	}
	i := (y*w + x) * 3
	return raw[i], raw[i+1], raw[i+2]
}

// toneSampleRate is the rate AudioTone decodes at.
const toneSampleRate = 48000

// AudioTone decodes the first audio stream over [from, from+dur] seconds to
// 32-bit float at 48 kHz and returns its dominant frequency in Hz and its
// RMS level in dBFS.
//
// The frequency is that of the mean of the channels, searched over
// 20..20000 Hz: an FFT finds the peak, Goertzel in 1 Hz steps around it and
// a parabola refine it (well within ±1 Hz for a steady tone of 0.1 s or
// more). The level is the power averaged over all samples of all channels,
// so a full-scale sine is −3 dBFS whether it is mono or on both stereo
// channels. (ffmpeg's own `-ac 1` downmix is (L+R)/√2, 3 dB louder for
// identical channels, so it is not used.) Silence gives 0 Hz and -Inf.
func AudioTone(t testing.TB, path string, from, dur float64) (freqHz, rmsDBFS float64) {
	t.Helper()
	raw, ch := decodeAudio(t, "AudioTone", path, from, dur, 64)
	frames := len(raw) / (4 * ch)
	all := make([]float64, frames*ch)
	for i := range all {
		all[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:])))
	}
	mono := make([]float64, frames)
	for i := range mono {
		var sum float64
		for c := 0; c < ch; c++ {
			sum += all[i*ch+c]
		}
		mono[i] = sum / float64(ch)
	}
	return dominantFrequency(mono, toneSampleRate), rmsDB(all)
}

// decodeAudio decodes [from, from+dur) of path's first audio stream to
// interleaved float32 at toneSampleRate, in its own channel count, and
// fails the test (naming caller) with fewer than least frames.
func decodeAudio(t testing.TB, caller, path string, from, dur float64, least int) ([]byte, int) {
	t.Helper()
	p := FFprobe(t, path)
	if p.Audio == nil || p.Audio.Channels < 1 {
		t.Fatalf("testpeer: %s: %s has no audio stream", caller, path)
	}
	ch := p.Audio.Channels
	raw := run(t, need(t, "ffmpeg"), "-nostdin", "-v", "error",
		"-ss", ftoa(from), "-t", ftoa(dur), "-i", path, "-vn", "-map", "0:a:0",
		"-ac", strconv.Itoa(ch), "-ar", strconv.Itoa(toneSampleRate), "-f", "f32le", "-")
	if len(raw)/(4*ch) < least {
		t.Fatalf("testpeer: %s: only %d bytes of audio in %s at [%g, %g]", caller, len(raw), path, from, from+dur)
	}
	return raw, ch
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func rmsDB(x []float64) float64 {
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	if sum == 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(sum/float64(len(x)))
}

// maxToneSamples bounds the FFT size (2^18 samples ≈ 5.5 s at 48 kHz).
const maxToneSamples = 1 << 18

// dominantFrequency returns the strongest frequency in 20..20000 Hz
// (limited to below Nyquist), or 0 for silence.
func dominantFrequency(x []float64, rate float64) float64 {
	if len(x) > maxToneSamples {
		x = x[:maxToneSamples]
	}
	// Hann window.
	n := len(x)
	wx := make([]float64, n)
	for i, v := range x {
		wx[i] = v * (0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1)))
	}

	size := 1
	for size < n {
		size <<= 1
	}
	re := make([]float64, size)
	im := make([]float64, size)
	copy(re, wx)
	fft(re, im)

	df := rate / float64(size)
	hi := math.Min(20000, rate/2-df)
	kLo, kHi := int(math.Ceil(20/df)), int(hi/df)
	best, bestK := 0.0, -1
	for k := kLo; k <= kHi && k < size/2; k++ {
		if m := re[k]*re[k] + im[k]*im[k]; m > best {
			best, bestK = m, k
		}
	}
	if bestK < 0 || best == 0 {
		return 0
	}

	// Refine: Goertzel in 1 Hz steps around the peak bin, then a parabola
	// through the best step and its neighbours.
	center := float64(bestK) * df
	span := math.Max(5, math.Ceil(2*rate/float64(n)))
	f0 := math.Max(20, math.Floor(center-span))
	f1 := math.Min(hi, math.Ceil(center+span))
	var pw []float64
	for f := f0; f <= f1; f++ {
		pw = append(pw, goertzel(wx, f/rate))
	}
	bi := 0
	for i := range pw {
		if pw[i] > pw[bi] {
			bi = i
		}
	}
	freq := f0 + float64(bi)
	if bi > 0 && bi < len(pw)-1 {
		a, b, c := math.Log(pw[bi-1]+1e-300), math.Log(pw[bi]+1e-300), math.Log(pw[bi+1]+1e-300)
		if d := a - 2*b + c; d < 0 {
			freq += 0.5 * (a - c) / d
		}
	}
	return freq
}

// goertzel returns the power of x at normalised frequency f (cycles per
// sample).
func goertzel(x []float64, f float64) float64 {
	w := 2 * math.Pi * f
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}

// fft is an in-place iterative radix-2 FFT; len(re) must be a power of 2.
func fft(re, im []float64) {
	n := len(re)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	for length := 2; length <= n; length <<= 1 {
		ang := -2 * math.Pi / float64(length)
		wr, wi := math.Cos(ang), math.Sin(ang)
		for i := 0; i < n; i += length {
			cr, ci := 1.0, 0.0
			half := length / 2
			for k := 0; k < half; k++ {
				ar, ai := re[i+k], im[i+k]
				br, bi := re[i+k+half], im[i+k+half]
				tr := br*cr - bi*ci
				ti := br*ci + bi*cr
				re[i+k], im[i+k] = ar+tr, ai+ti
				re[i+k+half], im[i+k+half] = ar-tr, ai-ti
				cr, ci = cr*wr-ci*wi, cr*wi+ci*wr
			}
		}
	}
}
