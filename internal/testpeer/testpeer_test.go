package testpeer

import (
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// publish pushes a file to url in real time with the ffmpeg CLI and waits
// for it to finish.
func publish(t *testing.T, in, url string) {
	t.Helper()
	out, err := exec.Command(need(t, "ffmpeg"), "-nostdin", "-v", "error", "-re", "-i", in,
		"-c", "copy", "-f", "flv", url).CombinedOutput()
	require.NoError(t, err, "publish: %s", out)
}

func makeAV(t *testing.T, name string, seconds int) string {
	return MakeMedia(t, name,
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
		"-f", "lavfi", "-i", "sine=f=440:r=44100",
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-preset", "veryfast",
		"-pix_fmt", "yuv420p", "-g", "50", "-c:a", "aac", "-b:a", "128k", "-shortest")
}

func TestNginxRecordsPublishedStream(t *testing.T) {
	in := makeAV(t, "in.flv", 3)
	n := StartNginx(t)
	require.Equal(t, fmt.Sprintf("rtmp://127.0.0.1:%d/live/cam", n.Port), n.URL("cam"))

	publish(t, in, n.URL("cam"))
	published := time.Now()
	rec := n.WaitRecordingStable(t, "cam", 20*time.Second)
	t.Logf("recording stable %v after the publisher exited", time.Since(published).Round(10*time.Millisecond))
	require.Equal(t, n.Recording("cam"), rec)

	p := FFprobe(t, rec)
	require.Contains(t, p.Format.FormatName, "flv")
	require.InDelta(t, 3.0, p.Format.Duration, 0.3)
	require.NotNil(t, p.Video)
	require.NotNil(t, p.Audio)
	require.Equal(t, "h264", p.Video.CodecName)
	require.Equal(t, 640, p.Video.Width)
	require.Equal(t, 360, p.Video.Height)
	require.Equal(t, "yuv420p", p.Video.PixFmt)
	require.InDelta(t, 25, p.Video.AvgFrameRate, 0.5)
	require.InDelta(t, 75, p.Video.NbFrames, 2)
	require.Equal(t, "aac", p.Audio.CodecName)
	require.Equal(t, "LC", p.Audio.Profile)
	require.Equal(t, 44100, p.Audio.SampleRate)
	require.Positive(t, p.Audio.NbFrames)

	for _, s := range []string{"a", "v"} {
		ts := PacketTimes(t, rec, s)
		require.NotEmpty(t, ts, s)
		if s == "v" {
			// Decode order: B-frames make pts non-monotonic; the
			// presentation times must still be distinct.
			sort.Float64s(ts)
		}
		for i := 1; i < len(ts); i++ {
			require.Greater(t, ts[i], ts[i-1], "stream %s packet %d", s, i)
		}
		require.InDelta(t, 3.0, ts[len(ts)-1]-ts[0], 0.2, s)
	}
	require.Empty(t, DecodeErrors(t, rec))
}

func TestNginxStopRestart(t *testing.T) {
	n := StartNginx(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(n.Port))
	n.Stop(t)
	_, err := net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err, "port still open after Stop")
	n.Stop(t) // idempotent

	n.Restart(t)
	c, err := net.DialTimeout("tcp", addr, time.Second)
	require.NoError(t, err)
	c.Close()

	in := makeAV(t, "short.flv", 1)
	publish(t, in, n.URL("again"))
	p := FFprobe(t, n.WaitRecordingStable(t, "again", 20*time.Second))
	require.InDelta(t, 1.0, p.Format.Duration, 0.3)
}

func TestNginxRepublishTruncatesRecording(t *testing.T) {
	long := makeAV(t, "long.flv", 2)
	short := makeAV(t, "short.flv", 1)
	n := StartNginx(t)
	publish(t, long, n.URL("s"))
	require.InDelta(t, 2.0, FFprobe(t, n.WaitRecordingStable(t, "s", 20*time.Second)).Format.Duration, 0.3)
	publish(t, short, n.URL("s"))
	p := FFprobe(t, n.WaitRecordingStable(t, "s", 20*time.Second))
	require.InDelta(t, 1.0, p.Format.Duration, 0.3, "record_unique off: a new publish starts the file again")
}

func TestNginxStopMidStream(t *testing.T) {
	in := makeAV(t, "in.flv", 4)
	n := StartNginx(t)
	cmd := exec.Command(need(t, "ffmpeg"), "-nostdin", "-v", "error", "-re", "-i", in, "-c", "copy", "-f", "flv", n.URL("cut"))
	require.NoError(t, cmd.Start())
	// Stop once about a second has been recorded (polling, not sleeping:
	// ffmpeg's start-up time varies a lot on a loaded machine).
	require.Eventually(t, func() bool {
		out, err := exec.Command(need(t, "ffprobe"), "-v", "error", "-show_entries", "format=duration",
			"-of", "csv=p=0", n.Recording("cut")).Output()
		d, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		return err == nil && d >= 1.2
	}, 15*time.Second, 100*time.Millisecond)
	n.Stop(t)
	err := cmd.Wait()
	t.Logf("publisher after server stop: %v", err)
	p := FFprobe(t, n.WaitRecordingStable(t, "cut", 10*time.Second))
	t.Logf("recording cut at %.2f s", p.Format.Duration)
	require.NotNil(t, p.Video)
	require.Greater(t, p.Format.Duration, 1.0)
	require.Less(t, p.Format.Duration, 3.8)
}

func TestDecodeErrorsReportsCorruption(t *testing.T) {
	in := makeAV(t, "in.flv", 1)
	data, err := os.ReadFile(in)
	require.NoError(t, err)
	// Scribble over the middle of the file (keep the header).
	for i := len(data) / 3; i < len(data)/3+4000 && i < len(data); i += 7 {
		data[i] ^= 0xA5
	}
	bad := t.TempDir() + "/bad.flv"
	require.NoError(t, os.WriteFile(bad, data, 0o644))
	require.NotEmpty(t, DecodeErrors(t, bad))
	require.NotEmpty(t, DecodeErrors(t, t.TempDir()+"/missing.flv"))
}

func TestAudioTone(t *testing.T) {
	// 1 kHz sine with a peak of -6 dBFS: RMS is 3 dB lower.
	for _, tc := range []struct{ name, codec, layout string }{
		{"tone.wav", "pcm_s16le", "stereo"},
		{"tone.m4a", "aac", "stereo"},
		{"tone_mono.wav", "pcm_s16le", "mono"},
		{"tone_mono.flv", "aac", "mono"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "aevalsrc=0.5*sin(2*PI*1000*t):s=48000:c=" + tc.layout
			f := MakeMedia(t, tc.name, "-f", "lavfi", "-i", src, "-t", "2", "-c:a", tc.codec)
			freq, rms := AudioTone(t, f, 0.5, 1)
			t.Logf("%.2f Hz, %.2f dBFS", freq, rms)
			require.InDelta(t, 1000, freq, 5)
			require.InDelta(t, -9.03, rms, 0.5)
		})
	}
	t.Run("silence", func(t *testing.T) {
		f := MakeMedia(t, "silence.wav", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "1")
		freq, rms := AudioTone(t, f, 0, 1)
		require.Zero(t, freq)
		require.True(t, math.IsInf(rms, -1))
	})
}

func TestDominantFrequency(t *testing.T) {
	for _, f := range []float64{20, 441, 1000, 2999.5, 15000} {
		for _, dur := range []float64{0.1, 1} {
			x := make([]float64, int(dur*48000))
			for i := range x {
				x[i] = 0.3*math.Sin(2*math.Pi*f*float64(i)/48000) + 0.01*math.Sin(2*math.Pi*123.4*float64(i)/48000)
			}
			require.InDelta(t, f, dominantFrequency(x, 48000), 1, "f=%g dur=%g", f, dur)
		}
	}
}

func TestPixelAt(t *testing.T) {
	for _, tc := range []struct {
		color   string
		r, g, b uint8
	}{
		{"red", 255, 0, 0},
		{"0x2040d0", 0x20, 0x40, 0xd0},
	} {
		t.Run(tc.color, func(t *testing.T) {
			f := MakeMedia(t, "solid.mp4", "-f", "lavfi", "-i", "color=c="+tc.color+":size=320x240:rate=25",
				"-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p")
			r, g, b := PixelAt(t, f, 0.5, 160, 120)
			require.InDelta(t, tc.r, r, 8, "r")
			require.InDelta(t, tc.g, g, 8, "g")
			require.InDelta(t, tc.b, b, 8, "b")
		})
	}
}

func TestParseRational(t *testing.T) {
	for in, want := range map[string]float64{"30/1": 30, "30000/1001": 29.97002997, "0/0": 0, "25": 25, "": 0, "N/A": 0} {
		require.InDelta(t, want, parseRational(in), 1e-6, in)
	}
}
