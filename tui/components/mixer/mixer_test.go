package mixer

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/muesli/termenv"
	"github.com/stretchr/testify/require"

	"studio/pipeline/stats"
	"studio/tui/common"
)

var sgrRun = regexp.MustCompile("\x1b\\[[0-9;]*38;2;(\\d+;\\d+;\\d+)m([^\x1b]*)")

// cells returns each meter cell's glyph and foreground colour.
func cells(s string) (glyphs []string, colours []string) {
	for _, m := range sgrRun.FindAllStringSubmatch(s, -1) {
		for _, g := range m[2] {
			colours = append(colours, m[1])
			glyphs = append(glyphs, string(g))
		}
	}
	return
}

const (
	green  = "78;201;93"
	yellow = "229;192;64"
	red    = "240;81;79"
)

func TestMeterZonesAndFill(t *testing.T) {
	c := common.NewContext(termenv.TrueColor)
	// 60 cells: one per dB from -60. Filled to full scale.
	s := Meter(c, 0, 0, 0, 60, false)
	glyphs, colours := cells(s)
	require.Len(t, colours, 60)
	for i, col := range colours {
		lo := -60 + i
		want := green
		switch {
		case lo >= -9:
			want = red
		case lo >= -20:
			want = yellow
		}
		require.Equal(t, want, col, "cell %d (%d dB)", i, lo)
		require.Equal(t, "█", glyphs[i], "cell %d below the level is full", i)
	}
	require.Equal(t, 40, strings.Count(strings.Join(colours, " "), green))

	// RMS -30, peak -12, hold -6: solid to -30, lighter to -12, a bar at -6, empty above.
	s = Meter(c, -12, -30, -6, 60, false)
	glyphs, _ = cells(s)
	require.Equal(t, strings.Repeat("█", 30)+strings.Repeat("▓", 18)+strings.Repeat("·", 6)+"│"+strings.Repeat("·", 5),
		strings.Join(glyphs, ""))
}

func TestMutedMeterIsDim(t *testing.T) {
	c := common.NewContext(termenv.TrueColor)
	_, colours := cells(Meter(c, -3, -3, -120, 60, true))
	require.NotContains(t, colours, green)
	require.NotContains(t, colours, red)
}

func TestPeakHoldAndFall(t *testing.T) {
	var m Model
	t0 := time.Now()
	m.SetLevels([]stats.AudioSource{{Name: "mic", PeakDBFS: -6, RMSDBFS: -9}}, t0)
	m.SetLevels([]stats.AudioSource{{Name: "mic", PeakDBFS: -40, RMSDBFS: -45}}, t0.Add(500*time.Millisecond))
	l := m.shown[0]
	require.InDelta(t, -18, l.peak, 0.01, "the shown peak falls 24 dB/s, not at once")
	require.InDelta(t, -6, l.hold, 0.01, "the hold stays")
	m.SetLevels([]stats.AudioSource{{Name: "mic", PeakDBFS: -40, RMSDBFS: -45}}, t0.Add(HoldTime+time.Second))
	require.InDelta(t, -40, m.shown[0].hold, 0.01, "after the hold time it follows the level")
	require.InDelta(t, -40, m.shown[0].peak, 0.01)
}

func TestSelectionAndView(t *testing.T) {
	var m Model
	rows := []stats.AudioSource{{Name: "pattern", PeakDBFS: -120, RMSDBFS: -120},
		{Name: "mic", PeakDBFS: -20, RMSDBFS: -26, Muted: true, GainDB: -3}, {Name: "master", PeakDBFS: -120, RMSDBFS: -120}}
	m.SetLevels(rows, time.Now())
	m.Move(5)
	require.Equal(t, "master", m.SelectedName())
	m.Move(-1)
	require.Equal(t, "mic", m.SelectedName())
	c := common.NewContext(termenv.Ascii)
	v := m.View(c, 50, m.Height(), true)
	require.Len(t, v, 4)
	require.Contains(t, v[2], "▶ mic")
	require.Contains(t, v[2], "-3dB MUTE")
	require.Contains(t, v[1], "-inf")
}
