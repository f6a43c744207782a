package denoise

import (
	"bytes"
	"encoding/binary"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

const rate = 48000

// speech is a few sentences from espeak-ng at 48 kHz mono, each after a
// second of digital silence (the pauses the noise floor is measured in),
// with a second of silence at the end. It skips the test when espeak-ng is
// missing; ffmpeg (for the resampling) must be there.
func speech(t testing.TB) []float32 {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (scripts/deps.sh installs it): no speech to denoise")
	}
	_, err := exec.LookPath("ffmpeg")
	require.NoError(t, err, "ffmpeg resamples the speech (scripts/deps.sh installs it)")
	sentences := []string{
		"The quick brown fox jumps over the lazy dog.",
		"Streaming live tonight, with a brand new console.",
		"Please check the audio levels before we start.",
		"Thank you all for watching, and see you next week.",
	}
	dir := t.TempDir()
	pause := make([]float32, rate)
	out := append([]float32(nil), pause...)
	for i, s := range sentences {
		wav := filepath.Join(dir, strconv.Itoa(i)+".wav")
		b, err := exec.Command("espeak-ng", "-w", wav, s).CombinedOutput()
		require.NoError(t, err, "espeak-ng: %s", b)
		raw, err := exec.Command("ffmpeg", "-v", "error", "-i", wav, "-ar", strconv.Itoa(rate), "-ac", "1", "-f", "f32le", "-").Output()
		require.NoError(t, err, "ffmpeg resample")
		pcm := make([]float32, len(raw)/4)
		require.NoError(t, binary.Read(bytes.NewReader(raw), binary.LittleEndian, pcm))
		out = append(out, pcm...)
		out = append(out, pause...)
	}
	return out
}

// rms over the samples of x in the frames marked, shifted by off samples.
func rmsOver(x []float32, frames []bool, frame, off int) float64 {
	var sum float64
	n := 0
	for f, on := range frames {
		if !on {
			continue
		}
		for i := f*frame + off; i < (f+1)*frame+off && i < len(x); i++ {
			sum += float64(x[i]) * float64(x[i])
			n++
		}
	}
	return math.Sqrt(sum / float64(n))
}

func db(x float64) float64 { return 20 * math.Log10(x) }
