package sources

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/require"

	"studio/pipeline/stats"
	"studio/tui/common"
)

// TestCaptureStates: a capture source shows its device's rate, and a
// stalled one shows the rate it still manages and why it stalled.
func TestCaptureStates(t *testing.T) {
	c := common.NewContext(termenv.Ascii)
	lines := View(c, []stats.Source{
		{Name: "desk", Kind: "screen", State: stats.SourceLive, FPS: 29.9},
		{Name: "cam", Kind: "camera", State: stats.SourceStalled, FPS: 0, Error: "camera /dev/video0: the device stopped sending (retrying)"},
		{Name: "brb", Kind: "testsrc", State: stats.SourceStandby, FPS: 0},
	}, nil, 0, false, 100, 6)
	require.Len(t, lines, 6)
	for _, l := range lines {
		require.Equal(t, 100, ansi.StringWidth(l), "every line exactly the panel width: %q", l)
	}
	body := strings.Join(lines, "\n")
	require.Contains(t, body, "desk      screen   live     29.9fps")
	require.Contains(t, body, "cam       camera   stalled  0.0fps the device stopped sending (retrying)")
	require.Contains(t, body, "brb       testsrc  standby")
	require.NotContains(t, body, "standby  0.0fps", "no rate for a paused test pattern")
}

var withFilters = []stats.Source{
	{Name: "cam", Kind: "camera", State: stats.SourceLive, FPS: 30, Filters: []stats.Filter{
		{Name: stats.FilterDenoise, On: true, Strength: 0.5},
		{Name: stats.FilterBeauty, On: true, Strength: 0.6},
		{Name: stats.FilterWatermark}}},
	{Name: "mic", Kind: "file", State: stats.SourceStandby, Filters: []stats.Filter{
		{Name: stats.FilterAudioDenoise, Strength: 0.5}, {Name: stats.FilterGate, On: true}}},
	{Name: "desk", Kind: "screen", State: stats.SourceStalled, FPS: 2, Error: "screen :0: the X server went away"},
}

// Filter badges fit the panel: the kind gives way first, then beauty's
// badge shortens; the program's row lines its badges up with the sources'.
// Without colour, a filter that is off is marked with a -.
func TestFilterBadges(t *testing.T) {
	c := common.NewContext(termenv.Ascii)
	program := []stats.Filter{{Name: stats.FilterWatermark, On: true}}
	for _, tc := range []struct {
		w    int
		rows []string
	}{
		{80, []string{
			"▶ cam       camera   live     30.0fps dn beauty .6 -wm",
			"  mic       file     standby          -dn",
			"  desk      screen   stalled  2.0fps  the X server went away",
			"  program                             wm",
		}},
		{48, []string{ // the preview's column at 120 columns
			"▶ cam       live     30.0fps dn beauty .6 -wm",
			"  mic       standby          -dn",
			"  desk      stalled  2.0fps  the X server went …",
			"  program                    wm",
		}},
		{40, []string{ // at 80 columns
			"▶ cam       live     30.0fps dn b.6 -wm",
			"  mic       standby          -dn",
			"  desk      stalled  2.0fps  the X serv…",
			"  program                    wm",
		}},
	} {
		lines := View(c, withFilters, program, 0, false, tc.w, 5)
		require.Len(t, lines, 5)
		for i, want := range tc.rows {
			require.Equal(t, tc.w, ansi.StringWidth(lines[i+1]), "%d: %q", tc.w, lines[i+1])
			require.Equal(t, want, strings.TrimRight(lines[i+1], " "), "width %d", tc.w)
		}
	}

	// The program's row is selected after the sources.
	lines := View(c, withFilters, program, 3, true, 80, 5)
	require.True(t, strings.HasPrefix(lines[4], "▶ program"))
	require.True(t, strings.HasPrefix(lines[1], "  cam"))
	// No program filters: no row.
	lines = View(c, withFilters, nil, 0, false, 80, 5)
	require.NotContains(t, strings.Join(lines, "\n"), "program")

	// In colour, off is dim and on plain.
	tc := common.NewContext(termenv.TrueColor)
	row := View(tc, withFilters[:1], nil, 0, false, 80, 2)[1]
	require.Contains(t, row, " dn beauty .6 "+tc.Styles.Dim.Render("wm"))
	require.NotContains(t, row, "-wm")
}

func TestTenths(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.04: "0", 0.1: ".1", 0.55: ".6", 0.7: ".7", 0.96: "1", 1: "1"} {
		require.Equal(t, want, tenths(v), "%v", v)
	}
}
