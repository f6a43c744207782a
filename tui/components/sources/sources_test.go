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
	}, 0, false, 100, 6)
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
