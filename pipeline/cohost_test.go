package pipeline

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/filters/composite"
	"studio/internal/av"
	"studio/internal/testpeer"
	"studio/pipeline/media"
	"studio/pipeline/source"
	"studio/presets"
)

// colourSources is a preset fragment of four solid test cards, silent.
const colourSources = `
sources:
  - {name: host, kind: testsrc, pattern: color, color: "#c03020", tone_hz: 0}
  - {name: g1, kind: testsrc, pattern: color, color: "#2050c0", tone_hz: 0}
  - {name: g2, kind: testsrc, pattern: color, color: "#30b040", tone_hz: 0}
  - {name: g3, kind: testsrc, pattern: color, color: "#e0d020", tone_hz: 0}
`

// The layouts put each source where they say, in the picture that is
// encoded and recorded: decoded frames of the recording have each source's
// colour inside its tile and the background outside, to a pixel at tile
// edges.
func TestLayoutsInTheRecording(t *testing.T) {
	cases := []struct {
		layout string
		n      int
		// tiles in a 640x360 frame: x, y, w, h, and the colour index
		tiles [][5]int
	}{
		// host+3 on 640x360: th = 90, tw = 67, bottom margin 45, x = 573.
		{"host+3", 4, [][5]int{{573, 360 - 45 - 90, 67, 90, 1}, {573, 360 - 45 - 180 - 1, 67, 90, 2}, {573, 360 - 45 - 270 - 2, 67, 90, 3}}},
		{"grid", 4, [][5]int{{0, 0, 320, 180, 0}, {320, 0, 320, 180, 1}, {0, 180, 320, 180, 2}, {320, 180, 320, 180, 3}}},
		{"side-by-side", 2, [][5]int{{0, 0, 320, 360, 0}, {320, 0, 320, 360, 1}}},
		// pip: inset 160x90, margin 14 (360/24 = 15, rounded down to even).
		{"pip", 2, [][5]int{{640 - 14 - 160, 360 - 14 - 90, 160, 90, 1}}},
	}
	rgb := [][3]int{{0xc0, 0x30, 0x20}, {0x20, 0x50, 0xc0}, {0x30, 0xb0, 0x40}, {0xe0, 0xd0, 0x20}}
	dir := t.TempDir()
	var scenes strings.Builder
	scenes.WriteString("scenes:\n")
	for _, c := range cases {
		fmt.Fprintf(&scenes, "  - name: %s\n    layout: %s\n    sources: [%s]\n    background: \"#000000\"\n",
			c.layout, c.layout, strings.Join([]string{"host", "g1", "g2", "g3"}[:c.n], ", "))
	}
	p, err := presets.Parse(filepath.Join(dir, "l.yaml"), []byte(colourSources+scenes.String()+
		"video: {size: 640x360, bitrate: 6M, preset: ultrafast, tune: zerolatency}\n"))
	require.NoError(t, err)
	for i, c := range cases {
		t.Run(c.layout, func(t *testing.T) {
			rec := filepath.Join(dir, c.layout+".flv")
			e, err := Open(Config{Preset: p, RecordPath: rec, Duration: 1500 * time.Millisecond, Logf: t.Logf})
			require.NoError(t, err)
			defer e.Close()
			require.NoError(t, e.SwitchScene(i))
			require.NoError(t, e.Run(context.Background()))
			near := func(x, y, want int, what string) {
				r, g, b := testpeer.PixelAt(t, rec, 1.0, x, y)
				w := rgb[want]
				require.InDelta(t, w[0], int(r), 24, "%s (%d,%d) red", what, x, y)
				require.InDelta(t, w[1], int(g), 24, "%s (%d,%d) green", what, x, y)
				require.InDelta(t, w[2], int(b), 24, "%s (%d,%d) blue", what, x, y)
			}
			for k, tl := range c.tiles {
				x, y, w, h, col := tl[0], tl[1], tl[2], tl[3], tl[4]
				near(x+w/2, y+h/2, col, "centre")
				// One pixel inside each edge is the tile's (±1 px at edges).
				near(x+1, y+h/2, col, "left edge")
				near(x+w-2, y+h/2, col, "right edge")
				near(x+w/2, y+1, col, "top edge")
				near(x+w/2, y+h-2, col, "bottom edge")
				if c.layout == "host+3" || c.layout == "pip" {
					// Outside: the host (4 px away: the decoder's chroma
					// upsampling spreads a colour over ±2 px; near the top
					// of the tile: the test card's clock box is lower down).
					near(x-4, y+4, 0, "left of the tile")
					if k == 0 {
						near(x+w/2, y+h+4, 0, "below the bottom tile")
					}
				}
			}
		})
	}
}

// A fade while live: the timeline runs on without a gap, and the frames in
// between are a blend of the two scenes, each nearer the new one.
func TestFadeBlendsScenesWithoutGap(t *testing.T) {
	p, err := presets.Parse("f.yaml", []byte(colourSources+`
scenes:
  - {name: A, source: host}
  - {name: B, layout: grid, sources: [g1, g2, g3, host], transition: {kind: fade, duration_ms: 300}}
video: {size: 320x180}
`))
	require.NoError(t, err)
	e, err := Open(Config{Preset: p, Logf: t.Logf})
	require.NoError(t, err)
	defer e.Close()
	w := e.src
	var nextV, nextA int64
	readN(t, w, 10, &nextV, &nextA)
	require.NoError(t, w.Switch(1))
	// Luma at the centre of the top-left cell: host red (Y 78) → g1 blue (Y 67)
	// is too close; use the bottom-right cell: host red stays, so watch the
	// top-right: host (Y≈78) → g2 green (Y≈119).
	var ys []int
	for len(ys) < 12 {
		fr, err := w.Read()
		require.NoError(t, err)
		if fr.Kind != media.Video {
			require.Equal(t, nextA, fr.PTS, "audio runs on")
			nextA += int64(fr.AV.NbSamples())
			continue
		}
		require.Equal(t, nextV, fr.PTS, "no gap in the video timeline")
		nextV++
		y, stride := av.Plane(fr.AV, 0)
		ys = append(ys, int(y[45*stride+240]))
	}
	t.Logf("luma through the fade: %v", ys)
	// 9 frames of fade at 30 fps (300 ms): strictly rising, between the two.
	for i := 1; i < 9; i++ {
		require.Greater(t, ys[i], ys[i-1], "frame %d of the fade", i)
	}
	require.Greater(t, ys[0], ys[11]-45, "the first fade frame is mostly the old scene")
	require.Equal(t, ys[9], ys[11], "the fade has ended on the new scene")
	require.Equal(t, ys[10], ys[11])
}

// Mix-minus end to end: the host and three guests each send a tone through
// a real nginx-rtmp; the program (pushed to the same server) has all four,
// and guest 1's return feed, pulled back from the server, has the host's
// and guests 2 and 3's tones and not its own.
func TestMixMinusEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes and pulls real streams for ~15 s")
	}
	ngx := testpeer.StartNginx(t)
	tones := map[string]int{"guest1": 600, "guest2": 800, "guest3": 1000}
	for g, hz := range tones {
		// sine's amplitude is 1/8: −18 dBFS.
		testpeer.Publish(t, ngx.URL(g), "-f", "lavfi", "-i", "color=c=0x3060c0:s=320x240:r=30",
			"-f", "lavfi", "-i", fmt.Sprintf("sine=f=%d:r=48000", hz))
	}
	var guests strings.Builder
	for _, g := range []string{"guest1", "guest2", "guest3"} {
		fmt.Fprintf(&guests, "  - {name: %s, kind: guest, input: %q, return: %q}\n", g, ngx.URL(g), ngx.URL(g+"-return"))
	}
	p, err := presets.Parse("mm.yaml", []byte(`
sources:
  - {name: host, kind: testsrc, tone_hz: 400}
`+guests.String()+`
scenes:
  - {name: Co-host, layout: host+3, sources: [host, guest1, guest2, guest3]}
video: {size: 640x360, bitrate: 1M, tune: zerolatency}
`))
	require.NoError(t, err)
	e, err := Open(Config{Preset: p, Destinations: []Destination{{Name: "out1", URL: ngx.URL("program")}},
		Duration: 12 * time.Second, Realtime: true, Logf: t.Logf})
	require.NoError(t, err)
	defer e.Close()
	require.NoError(t, e.Run(context.Background()))

	freqs := []float64{400, 600, 800, 1000}
	// The guests join within a second or two (connect, probe, jitter
	// buffer): measure the last 6 s.
	prog := ngx.WaitRecordingStable(t, "program", 10*time.Second)
	lv := testpeer.ToneLevels(t, prog, 5, 6, freqs...)
	t.Logf("program: 400/600/800/1000 Hz at %.1f / %.1f / %.1f / %.1f dBFS", lv[0], lv[1], lv[2], lv[3])
	for i, l := range lv {
		require.Greater(t, l, -30.0, "the program has the %g Hz tone", freqs[i])
	}
	ret := ngx.WaitRecordingStable(t, "guest1-return", 10*time.Second)
	probe := testpeer.FFprobe(t, ret)
	require.NotNil(t, probe.Audio)
	require.Nil(t, probe.Video, "a return feed is audio only")
	rl := testpeer.ToneLevels(t, ret, 5, 6, freqs...)
	t.Logf("guest1's return: 400/600/800/1000 Hz at %.1f / %.1f / %.1f / %.1f dBFS", rl[0], rl[1], rl[2], rl[3])
	for _, i := range []int{0, 2, 3} {
		require.Greater(t, rl[i], -30.0, "guest1 hears %g Hz", freqs[i])
	}
	others := min(rl[0], rl[2], rl[3])
	require.Less(t, rl[1], others-30, "guest1's own voice is at least 30 dB below the others")
}

// The preset checks layouts against its own table (presets has no cgo):
// it must say what the compositor does.
func TestPresetLayoutsMatchTheCompositor(t *testing.T) {
	var names []string
	for _, l := range presets.Layouts {
		names = append(names, l.Name)
		rects, err := composite.Layout(l.Name, 1280, 720, l.Max)
		require.NoError(t, err, l.Name)
		require.Len(t, rects, l.Max, l.Name)
		if l.Name != "full" { // full shows the first of any number
			_, err = composite.Layout(l.Name, 1280, 720, l.Max+1)
			require.Error(t, err, "%s holds at most %d", l.Name, l.Max)
		}
	}
	require.Equal(t, composite.Layouts, names)
}

// Scene switches while live, into a real server: a fade and a cut leave
// every frame and every audio block on the grid (no timestamp gap), and the
// recording shows the old scene, a blend, then the new one.
func TestFadeWhileLiveWithoutGap(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	p, err := presets.Parse("fade.yaml", []byte(colourSources+`
scenes:
  - {name: A, source: host}
  - {name: B, source: g2, transition: {kind: fade, duration_ms: 1000}}
video: {size: 320x180, bitrate: 1M, tune: zerolatency}
`))
	require.NoError(t, err)
	e, _, end := goLive(t, p, ngx.URL("fade"))
	time.Sleep(2 * time.Second)
	require.NoError(t, e.SwitchScene(1)) // fade, 1 s
	time.Sleep(2500 * time.Millisecond)
	require.NoError(t, e.SwitchScene(0)) // cut
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, e.StopLive())
	end()

	rec := ngx.WaitRecordingStable(t, "fade", 10*time.Second)
	require.Empty(t, testpeer.DecodeErrors(t, rec))
	video := testpeer.Packets(t, rec, "v")
	require.Greater(t, len(video), 30*5)
	for i, pk := range video {
		require.InDelta(t, video[0].Time+float64(i)/30, pk.Time, 0.0015, "video packet %d: a gap", i)
	}
	audio := testpeer.Packets(t, rec, "a")
	for i := 1; i < len(audio); i++ {
		require.InDelta(t, 1024.0/48000, audio[i].Time-audio[i-1].Time, 0.0015, "audio packet %d: a gap", i)
	}
	// Red (host) at 1 s; green (g2) at 4 s (the cut back comes at 4.5 s); in between, during the fade,
	// some frame is neither: a blend.
	r, g, _ := testpeer.PixelAt(t, rec, 1, 40, 40)
	require.Greater(t, int(r), 150, "scene A (red) before the fade")
	r, g, _ = testpeer.PixelAt(t, rec, 4.0, 40, 40)
	require.Greater(t, int(g), 150, "scene B (green) after the fade")
	blended := false
	for s := 2.0; s < 3.6; s += 0.1 {
		r, g, _ = testpeer.PixelAt(t, rec, s, 40, 40)
		if r > 80 && r < 170 && g > 70 && g < 160 {
			blended = true
			t.Logf("at %.1f s: r %d g %d, a blend of red and green", s, r, g)
			break
		}
	}
	require.True(t, blended, "a frame during the fade is a blend of the two scenes")
}

// The meters read what is mixed: two sources on air at once, one turned
// down; each source's meter and the master's match the dBFS computed from
// the samples to 0.1 dB.
func TestMetersMatchTheMix(t *testing.T) {
	a, err := source.NewTestPatternLook(testFormat, source.PatternLook{Pattern: "color", ToneHz: 1000})
	require.NoError(t, err)
	b, err := source.NewTestPatternLook(testFormat, source.PatternLook{Pattern: "color", ToneHz: 440})
	require.NoError(t, err)
	rects, err := composite.Layout("side-by-side", testFormat.Width, testFormat.Height, 2)
	require.NoError(t, err)
	w, err := newSceneSwitcher(testFormat, []*programSource{newProgramSource("a", "testsrc", a), newProgramSource("b", "testsrc", b)},
		[]sceneRef{{name: "Both", layers: composite.LayersFor(rects), srcs: []int{0, 1}}})
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.setGain("b", -6))
	var nextV, nextA int64
	readN(t, w, 3, &nextV, &nextA)
	w.levels(nil, true) // start afresh

	var peak, sumSq float64
	var n int
	for v := 0; v < 30; {
		fr, err := w.Read()
		require.NoError(t, err)
		if fr.Kind == media.Video {
			v++
			continue
		}
		for c := 0; c < 2; c++ {
			for _, s := range av.PlanarFloat(fr.AV, c) {
				peak = max(peak, math.Abs(float64(s)))
				sumSq += float64(s) * float64(s)
				n++
			}
		}
	}
	srcs, master, measured := w.levels(nil, true)
	require.True(t, measured)
	require.InDelta(t, 20*math.Log10(peak), master.PeakDBFS, 0.1, "master peak")
	require.InDelta(t, 10*math.Log10(sumSq/float64(n)), master.RMSDBFS, 0.1, "master RMS")
	// Each test tone is a sine peaking at −21.1 dBFS (RMS 3 dB lower).
	require.InDelta(t, -21.1, srcs[0].PeakDBFS, 0.1)
	require.InDelta(t, -24.1, srcs[0].RMSDBFS, 0.1)
	require.InDelta(t, -27.1, srcs[1].PeakDBFS, 0.1, "after its -6 dB")
	require.InDelta(t, -30.1, srcs[1].RMSDBFS, 0.1)
	// Two tones at different frequencies: powers add.
	want := 10 * math.Log10(math.Pow(10, -24.1/10)+math.Pow(10, -30.1/10))
	require.InDelta(t, want, master.RMSDBFS, 0.1, "the master's RMS is the sum of the powers")
}

// A preset's mixer settings are where the engine starts from.
func TestPresetMixerChannel(t *testing.T) {
	p, err := presets.Parse("mix.yaml", []byte(`
sources:
  - {name: host, kind: testsrc}
  - {name: g1, kind: testsrc, gain_db: -6, pan: -0.5, muted: true}
video: {size: 320x180}
`))
	require.NoError(t, err)
	e, err := Open(Config{Preset: p, Logf: t.Logf})
	require.NoError(t, err)
	defer e.Close()
	g1 := e.src.sources[1]
	require.Equal(t, -6.0, g1.gainDB())
	require.Equal(t, float32(-0.5), g1.pan())
	require.True(t, g1.muted.Load())
	require.Equal(t, 0.0, e.src.sources[0].gainDB())
}
