// Package header is the console's top line: preset, state (READY, LIVE
// with its time, RECONNECTING, STOPPED...), the recording indicator, the
// scene on air, the latest error and the CPU the process uses.
package header

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"studio/tui/common"
)

// States shown in the header.
const (
	Ready        = "READY"
	Connecting   = "CONNECTING"
	Live         = "LIVE"
	Reconnecting = "RECONNECTING"
	Failed       = "FAILED"
	Stopped      = "STOPPED"
)

// Info is what the header shows.
type Info struct {
	Preset    string
	State     string
	LiveFor   string // hh:mm:ss, with LIVE
	Recording bool
	RecFor    string
	Scene     string
	CPU       float64 // percent of one core; <0 unknown
	Error     string
}

// View draws the header exactly w wide.
func View(c *common.Context, in Info, w int) string {
	st := c.Styles
	left := " " + st.Bold.Render("studio") + st.Dim.Render(" · ") + in.Preset + "  "
	var badge string
	switch in.State {
	case Live:
		badge = st.BadgeLive.Render(" ● LIVE " + in.LiveFor + " ")
	case Reconnecting, Connecting:
		badge = st.BadgeWarn.Render(" " + in.State + " ")
	case Failed:
		badge = st.BadgeErr.Render(" " + in.State + " ")
	default:
		badge = st.BadgeIdle.Render(" " + in.State + " ")
	}
	left += badge
	if in.Recording {
		left += "  " + st.BadgeRec.Render("● REC "+in.RecFor)
	}
	if in.Scene != "" {
		left += "  " + st.Dim.Render("scene ") + in.Scene
	}
	right := ""
	if in.CPU >= 0 {
		right = st.Dim.Render("CPU ") + fmt.Sprintf("%.0f%%", in.CPU) + " "
	}
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	room := w - lw - rw
	mid, mw := "", 0
	if in.Error != "" && room > 8 {
		mid, mw = "  "+st.Bad.Render(common.Fit("⚠ "+in.Error, room-3)), 2+room-3
	}
	pad := w - lw - mw - rw
	if pad < 0 {
		return common.Fit(left+mid, w)
	}
	return left + mid + strings.Repeat(" ", pad) + right
}
