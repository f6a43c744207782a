package source

import (
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
	"studio/internal/testpeer"
	"studio/pipeline/media"
)

// yuvOf is the BT.601 limited-range colour swscale makes of an RGB pixel.
func yuvOf(r, g, b float64) (y, u, v float64) {
	y = 16 + (65.481*r+128.553*g+24.966*b)/255
	u = 128 + (-37.797*r-74.203*g+112*b)/255
	v = 128 + (112*r-93.786*g-18.214*b)/255
	return
}

// centre returns the Y, U and V values at the middle of a yuv420p frame.
func centre(t *testing.T, f *astiav.Frame) (y, u, v float64) {
	t.Helper()
	require.Equal(t, astiav.PixelFormatYuv420P, f.PixelFormat())
	b, err := f.Data().Bytes(1)
	require.NoError(t, err)
	w, h := f.Width(), f.Height()
	cw, ch := w/2, h/2
	yp, up := b[:w*h], b[w*h:w*h+cw*ch]
	vp := b[w*h+cw*ch:]
	return float64(yp[h/2*w+w/2]), float64(up[ch/2*cw+cw/2]), float64(vp[ch/2*cw+cw/2])
}

// readFor reads a live source for d and hands every frame to each.
func readFor(t *testing.T, s Source, d time.Duration, each func(Frame)) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		fr, err := s.Read()
		require.NoError(t, err)
		each(fr)
	}
}

func screenConfig(display string) ScreenConfig {
	return ScreenConfig{
		CaptureConfig: CaptureConfig{Width: 320, Height: 180, FrameRate: astiav.NewRational(30, 1), Clock: &Clock{}},
		Display:       display,
	}
}

// TestScreenCapture: a known colour on a real X server comes out of the
// screen source in the program format and colour, at the program rate,
// with silence alongside on one timeline.
func TestScreenCapture(t *testing.T) {
	x := testpeer.StartXvfb(t, 640, 360)
	x.Fill(t, "#d04020")
	s, err := OpenScreen(screenConfig(x.Display))
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, Format{Width: 320, Height: 180, FrameRate: astiav.NewRational(30, 1), SampleRate: 48000, Channels: 2}, s.Format())

	var video, audio int
	var lastV, lastA int64 = -1, -1
	var last Frame
	readFor(t, s, 2*time.Second, func(fr Frame) {
		switch fr.Kind {
		case media.Video:
			if lastV >= 0 {
				require.Equal(t, lastV+1, fr.PTS, "video frames are consecutive on the program clock")
			}
			lastV = fr.PTS
			video++
			last = fr
			require.Equal(t, 320, fr.AV.Width())
		case media.Audio:
			if lastA >= 0 {
				require.Equal(t, lastA+AudioFrameSamples, fr.PTS, "audio blocks are contiguous")
			}
			lastA = fr.PTS
			audio++
			for _, v := range av.PlanarFloat(fr.AV, 0) {
				require.Zero(t, v, "no audio device: silence")
			}
		}
	})
	require.InDelta(t, 60, video, 4, "30 fps for 2 s")
	require.InDelta(t, 2*48000/AudioFrameSamples, audio, 4)
	y, u, v := centre(t, last.AV)
	wy, wu, wv := yuvOf(0xd0, 0x40, 0x20)
	require.InDelta(t, wy, y, 3)
	require.InDelta(t, wu, u, 3)
	require.InDelta(t, wv, v, 3)
	requireHealthy(t, s)
}

// TestScreenRegionAndSize: without a program size the source takes the
// region's; a region outside the screen is refused with both sizes.
func TestScreenRegionAndSize(t *testing.T) {
	x := testpeer.StartXvfb(t, 640, 360)
	cfg := screenConfig(x.Display)
	cfg.Width, cfg.Height = 0, 0
	cfg.Region = Region{X: 100, Y: 50, W: 320, H: 240}
	s, err := OpenScreen(cfg)
	require.NoError(t, err)
	require.Equal(t, 320, s.Format().Width)
	require.Equal(t, 240, s.Format().Height)
	s.Close()

	cfg.Region = Region{X: 400, Y: 0, W: 320, H: 240}
	_, err = OpenScreen(cfg)
	require.EqualError(t, err, `screen region 400,0,320,240 is outside display "`+x.Display+`" (640x360)`)
}

// TestScreenMissingDisplay: no X server, or no display at all, is a clear
// error before anything runs.
func TestScreenMissingDisplay(t *testing.T) {
	_, err := OpenScreen(screenConfig(":89"))
	require.Error(t, err)
	require.Contains(t, err.Error(), `cannot open X display ":89"`)
	require.Contains(t, err.Error(), "is an X server running there?")

	t.Setenv("DISPLAY", "")
	os.Unsetenv("DISPLAY")
	_, err = OpenScreen(screenConfig(""))
	require.ErrorContains(t, err, "$DISPLAY is not set (use --display :N")
}

// TestScreenOutageIsHeldAndRetried: when the X server goes away the source
// keeps delivering frames on time (the last picture, then black after
// StaleAfter), says it is stalled and why, and picks the screen up again
// by itself when the server is back.
func TestScreenOutageIsHeldAndRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 10 s")
	}
	x := testpeer.StartXvfb(t, 320, 180)
	x.Fill(t, "#d04020")
	var log logLines
	cfg := screenConfig(x.Display)
	cfg.Logf = log.add
	s, err := OpenScreen(cfg)
	require.NoError(t, err)
	defer s.Close()
	readFor(t, s, time.Second, func(Frame) {})

	x.Kill(t)
	var frames int
	var held, black bool
	var lastPTS int64 = -1
	wy, _, _ := yuvOf(0xd0, 0x40, 0x20)
	// Black comes StaleAfter after the last good picture; the server's
	// death is noticed within a second.
	outage := StaleAfter + 2*time.Second
	readFor(t, s, outage, func(fr Frame) {
		if fr.Kind != media.Video {
			return
		}
		if lastPTS >= 0 {
			require.Equal(t, lastPTS+1, fr.PTS, "no gap while the screen is gone")
		}
		lastPTS = fr.PTS
		frames++
		y, _, _ := centre(t, fr.AV)
		held = held || math.Abs(y-wy) < 3
		black = black || y == 16
	})
	require.InDelta(t, 30*outage.Seconds(), frames, 6, "the program keeps its rate")
	require.True(t, held, "the last picture is held at first")
	require.True(t, black, "then cleared to black")
	st := s.Status()
	require.True(t, st.Stalled)
	require.Contains(t, st.Err, "screen "+x.Display)

	x.Restart(t)
	x.Fill(t, "#2040d0")
	wy2, _, _ := yuvOf(0x20, 0x40, 0xd0)
	back := false
	deadline := time.Now().Add(15 * time.Second)
	for !back && time.Now().Before(deadline) {
		readFor(t, s, 500*time.Millisecond, func(fr Frame) {
			if fr.Kind == media.Video {
				y, _, _ := centre(t, fr.AV)
				back = back || math.Abs(y-wy2) < 3
			}
		})
	}
	require.True(t, back, "capturing the screen again after it came back")
	requireHealthy(t, s)
	require.Contains(t, log.text(), "capturing again")
}

// TestScreenWithPulseMonitor: desktop audio through a real PulseAudio
// monitor source comes out at the program rate, with the tone's frequency
// and level, next to the picture on the same clock.
func TestScreenWithPulseMonitor(t *testing.T) {
	x := testpeer.StartXvfb(t, 320, 180)
	p := testpeer.StartPulse(t)
	p.PlayTone(t, 1000, -20, 0)
	cfg := screenConfig(x.Display)
	cfg.Audio = p.Monitor
	s, err := OpenScreen(cfg)
	require.NoError(t, err)
	defer s.Close()

	var samples []float32
	var video int
	start := time.Now()
	readFor(t, s, 4*time.Second, func(fr Frame) {
		switch fr.Kind {
		case media.Video:
			video++
		case media.Audio:
			if time.Since(start) > 2*time.Second { // past the server's start-up
				samples = append(samples, av.PlanarFloat(fr.AV, 0)...)
			}
		}
	})
	require.InDelta(t, 120, video, 6)
	require.Greater(t, len(samples), 48000, "at least a second of audio")
	var sumSq float64
	crossings := 0
	for i, v := range samples {
		sumSq += float64(v) * float64(v)
		if i > 0 && (samples[i-1] < 0) != (v < 0) {
			crossings++
		}
	}
	rms := 10 * math.Log10(sumSq/float64(len(samples)))
	freq := float64(crossings) / 2 / (float64(len(samples)) / 48000)
	t.Logf("captured %.2f s: %.1f Hz at %.2f dBFS RMS", float64(len(samples))/48000, freq, rms)
	require.InDelta(t, 1000, freq, 5, "the tone's frequency, resampled from the monitor's rate")
	require.InDelta(t, -20, rms, 1, "the tone's level")
	requireHealthy(t, s)
}

// TestAudioDeviceMissing: an audio device that does not exist is named in
// the error, with the ones that do.
func TestAudioDeviceMissing(t *testing.T) {
	x := testpeer.StartXvfb(t, 320, 180)
	p := testpeer.StartPulse(t)
	cfg := screenConfig(x.Display)
	cfg.Audio = "usb headset"
	_, err := OpenScreen(cfg)
	require.Error(t, err)
	require.Contains(t, err.Error(), `"usb headset" not found`)
	require.Contains(t, err.Error(), p.Monitor)
}

// TestCameraMissing: a camera that does not exist is a clear error that
// lists the ones that do (here usually none). The V4L2 path itself runs
// in TestCameraCapture where a camera exists.
func TestCameraMissing(t *testing.T) {
	_, err := OpenCamera(CameraConfig{
		CaptureConfig: CaptureConfig{Width: 320, Height: 180, FrameRate: astiav.NewRational(30, 1)},
		Device:        "/dev/video97",
	})
	require.Error(t, err)
	require.Contains(t, err.Error(), `camera "/dev/video97" not found`)
}

// TestCameraCapture runs the V4L2 capture where a camera exists.
func TestCameraCapture(t *testing.T) {
	if _, err := os.Stat("/dev/video0"); err != nil {
		t.Skip("no /dev/video0 on this machine: the V4L2 capture path is not exercised here")
	}
	s, err := OpenCamera(CameraConfig{
		CaptureConfig: CaptureConfig{Width: 640, Height: 360, FrameRate: astiav.NewRational(30, 1)},
		Device:        "/dev/video0",
	})
	if err != nil && strings.Contains(err.Error(), "busy") {
		t.Skipf("camera busy: %v", err)
	}
	require.NoError(t, err)
	defer s.Close()
	video := 0
	readFor(t, s, 3*time.Second, func(fr Frame) {
		if fr.Kind == media.Video {
			video++
			require.Equal(t, 640, fr.AV.Width())
		}
	})
	require.InDelta(t, 90, video, 6)
	requireHealthy(t, s)
}

// requireHealthy asserts that a live source's devices deliver.
func requireHealthy(t *testing.T, s *Live) {
	t.Helper()
	st := s.Status()
	require.False(t, st.Stalled, st.Err)
	require.Empty(t, st.Err)
	require.Positive(t, st.Pictures)
}

// TestAudioServerLostAndBack: the sound server dies under a running
// capture and comes back. Audio goes on as silence (contiguous, on time),
// the source says it is stalled and why, and the device is reopened by
// itself with the tone back.
func TestAudioServerLostAndBack(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 15 s")
	}
	x := testpeer.StartXvfb(t, 320, 180)
	p := testpeer.StartPulse(t)
	p.PlayTone(t, 1000, -20, 0)
	var log logLines
	cfg := screenConfig(x.Display)
	cfg.Audio = p.Monitor
	cfg.Logf = log.add
	s, err := OpenScreen(cfg)
	require.NoError(t, err)
	defer s.Close()

	var lastA int64 = -1
	peak := func(d time.Duration) (pk float32) {
		readFor(t, s, d, func(fr Frame) {
			if fr.Kind != media.Audio {
				return
			}
			if lastA >= 0 {
				require.Equal(t, lastA+AudioFrameSamples, fr.PTS, "audio stays contiguous")
			}
			lastA = fr.PTS
			for _, v := range av.PlanarFloat(fr.AV, 0) {
				pk = max(pk, v)
			}
		})
		return pk
	}
	require.Greater(t, peak(3*time.Second), float32(0.1), "the tone before")
	p.Kill(t)
	peak(5 * time.Second)
	st := s.Status()
	require.True(t, st.Stalled)
	require.Contains(t, st.Err, `audio "`+p.Monitor+`"`)
	require.Zero(t, peak(time.Second), "silence while the server is gone")

	p.Restart(t)
	p.PlayTone(t, 1000, -20, 0)
	back := false
	for deadline := time.Now().Add(20 * time.Second); !back && time.Now().Before(deadline); {
		back = peak(time.Second) > 0.1
	}
	require.True(t, back, "the tone is back; log: %s", log.text())
	requireHealthy(t, s)
	require.Contains(t, log.text(), "capturing again")
}

// TestLiveRejoinsThePresent: a capture taken off air and put back (a quick
// scene toggle) starts again at the present with its sound and picture
// together, instead of carrying on from where it stopped.
func TestLiveRejoinsThePresent(t *testing.T) {
	x := testpeer.StartXvfb(t, 320, 180)
	s, err := OpenScreen(screenConfig(x.Display))
	require.NoError(t, err)
	defer s.Close()
	var lastV int64
	readFor(t, s, time.Second, func(fr Frame) {
		if fr.Kind == media.Video {
			lastV = fr.PTS
		}
	})
	time.Sleep(300 * time.Millisecond) // off air: not read
	s.Rejoin()
	var firstV, firstA Frame
	for firstV.AV == nil || firstA.AV == nil {
		fr, err := s.Read()
		require.NoError(t, err)
		if fr.Kind == media.Video && firstV.AV == nil {
			firstV = fr
		}
		if fr.Kind == media.Audio && firstA.AV == nil {
			firstA = fr
		}
	}
	now, _ := s.clock.Now()
	require.Greater(t, firstV.PTS-lastV, int64(7), "skipped the 300 ms off air")
	require.InDelta(t, now.Seconds(), firstV.Time.Seconds(), 0.05, "the picture is the present")
	require.InDelta(t, firstV.Time.Seconds(), firstA.Time.Seconds(), float64(AudioFrameSamples)/48000+0.001, "sound starts with the picture")
}

// logLines collects what a capture logs, from any goroutine.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logLines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestLiveCaptureAllocatesNothing: once running, a screen capture and its
// reader allocate nothing per frame (both goroutines are counted).
func TestLiveCaptureAllocatesNothing(t *testing.T) {
	x := testpeer.StartXvfb(t, 320, 180)
	s, err := OpenScreen(screenConfig(x.Display))
	require.NoError(t, err)
	defer s.Close()
	readFor(t, s, 500*time.Millisecond, func(Frame) {})
	allocs := testing.AllocsPerRun(60, func() {
		_, err := s.Read()
		require.NoError(t, err)
	})
	require.Zero(t, allocs)
}
