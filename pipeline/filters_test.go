package pipeline

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/pipeline/stats"
	"studio/presets"
)

// writeSquare writes a w×h opaque PNG of one colour.
func writeSquare(t *testing.T, path string, w, h int, c color.NRGBA) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
}

// Every filter toggled and moved while live, as the console does it, into a
// real server: the stream the server recorded has every frame and every
// audio block on the grid (no timestamp gap, nothing dropped), keyframes
// only where the GOP puts them (no burst at a toggle), decodes cleanly, and
// shows the toggles (the logo comes and goes).
func TestFiltersToggleLiveWithoutGaps(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.png")
	writeSquare(t, logo, 64, 64, color.NRGBA{R: 30, G: 220, B: 180, A: 255}) // no colour of testsrc2
	p, err := presets.Parse(filepath.Join(dir, "show.yaml"), []byte(`
sources:
  - name: cam
    kind: testsrc
    tone_hz: 1000
    filters:
      denoise: {strength: 0.5}
      beauty: {enabled: false}
      watermark:
        layers:
          - image: logo.png
            x: 16
            y: 16
          - clock: "%H:%M:%S"
            position: bottom-right
            size: 24
            box: "#00000080"
      audio_denoise:
      gate: {open_db: -40, close_db: -50}
      limiter: {ceiling_db: -3}
filters:
  watermark:
    layers:
      - text: LIVE
        position: top-right
video: {size: 640x360, bitrate: 800k, tune: zerolatency}
`))
	require.NoError(t, err)
	e, tap, end := goLive(t, p, ngx.URL("fxKey"))
	live := time.Now()
	at := func(sec float64) { time.Sleep(time.Until(live.Add(time.Duration(sec * float64(time.Second))))) }
	// 0-2 s: as configured. 2-4 s: logo off, beauty on. 4-6 s: logo on,
	// beauty stronger, denoise off, audio filters off. 6-8 s: back on.
	at(2)
	require.NoError(t, e.SetFilter("cam", stats.FilterWatermark, false))
	require.NoError(t, e.SetFilter("cam", stats.FilterBeauty, true))
	require.NoError(t, e.SetFilter(stats.ProgramName, stats.FilterWatermark, false))
	at(2.7)
	require.NoError(t, e.SetFilterStrength("cam", stats.FilterBeauty, 0.9))
	at(4)
	require.NoError(t, e.SetFilter("cam", stats.FilterWatermark, true))
	require.NoError(t, e.SetFilter("cam", stats.FilterDenoise, false))
	for _, f := range []string{stats.FilterAudioDenoise, stats.FilterGate, stats.FilterLimiter} {
		require.NoError(t, e.SetFilter("cam", f, false))
	}
	at(4.6)
	require.NoError(t, e.SetFilterStrength("cam", stats.FilterDenoise, 1))
	require.NoError(t, e.SetFilterStrength("cam", stats.FilterAudioDenoise, 0.8))
	at(6)
	for _, f := range []string{stats.FilterDenoise, stats.FilterAudioDenoise, stats.FilterGate, stats.FilterLimiter} {
		require.NoError(t, e.SetFilter("cam", f, true))
	}
	require.NoError(t, e.SetFilter(stats.ProgramName, stats.FilterWatermark, true))
	at(8.2)
	st := tap.get()
	require.Equal(t, []stats.Filter{
		{Name: stats.FilterDenoise, On: true, Strength: 1},
		{Name: stats.FilterBeauty, On: true, Strength: 0.9},
		{Name: stats.FilterWatermark, On: true},
		{Name: stats.FilterAudioDenoise, On: true, Strength: 0.8},
		{Name: stats.FilterGate, On: true},
		{Name: stats.FilterLimiter, On: true},
	}, st.Sources[0].Filters)
	require.Equal(t, []stats.Filter{{Name: stats.FilterWatermark, On: true}}, st.ProgramFilters)
	require.NoError(t, e.StopLive())
	final := tap.get().Outputs
	end()
	for _, o := range final {
		require.Zero(t, o.FramesDropped, "%s dropped frames", o.Name)
	}

	rec := ngx.WaitRecordingStable(t, "fxKey", 10*time.Second)
	require.Empty(t, testpeer.DecodeErrors(t, rec))
	video := testpeer.Packets(t, rec, "v")
	require.Greater(t, len(video), 30*7)
	first := video[0].Time
	for i, pk := range video {
		// Every frame on the 30 fps grid, one after the other.
		want := first + float64(i)/30
		require.InDelta(t, want, pk.Time, 0.0015, "video packet %d: a gap or a dropped frame", i)
		if pk.Key {
			gop := (pk.Time - first) / 2
			require.InDelta(t, math.Round(gop), gop, 0.001, "keyframe at %.3fs: off the 2 s grid (a burst at a toggle?)", pk.Time)
		}
	}
	audio := testpeer.PacketTimes(t, rec, "a")
	for i := 1; i < len(audio); i++ {
		require.InDelta(t, 1024.0/48000, audio[i]-audio[i-1], 0.0015, "audio packet %d: a gap", i)
	}
	// The logo, then the pattern, then the logo again (the toggles came
	// 0..1 s after the stream's start, as the stats saw it go live).
	logoAt := func(sec float64) bool {
		r, g, b := testpeer.PixelAt(t, rec, first+sec, 48, 48)
		return r < 80 && g > 180 && b > 140
	}
	require.True(t, logoAt(1.0), "logo on at 1 s")
	require.False(t, logoAt(3.5), "logo off at 3.5 s")
	require.True(t, logoAt(6.5), "logo on again at 6.5 s")
}
