// Package outputs is the console's output list: one row per destination
// (masked URL, state, bitrate with a sparkline of the last minute, queue,
// dropped frames, reconnects) and one for the recording.
package outputs

import (
	"fmt"
	"strings"

	"studio/pipeline/stats"
	"studio/tui/common"
)

// HistoryLen is how many one-second bitrate readings the sparkline keeps.
const HistoryLen = 60

// Drop percentages above these are shown yellow and red (OBS's thresholds).
const (
	WarnDropPct = 1.0
	BadDropPct  = 5.0
)

// Model keeps each output's bitrate history.
type Model struct {
	history map[string][]float64
	// titleNote and title cache the panel title with its note (rendered
	// once per note, not once per frame).
	titleNote, title string
}

// Observe records one stats snapshot's bitrates.
func (m *Model) Observe(s stats.Stats) {
	if m.history == nil {
		m.history = map[string][]float64{}
	}
	for _, o := range s.Outputs {
		h := append(m.history[o.Name], o.BitrateKbps)
		if len(h) > HistoryLen {
			h = h[len(h)-HistoryLen:]
		}
		m.history[o.Name] = h
	}
}

// Forget drops an output's history (it was stopped).
func (m *Model) Forget(name string) { delete(m.history, name) }

// Row is what one line shows.
type Row struct {
	Out      stats.Output
	Idle     bool // configured but not started
	Removing bool // asked to stop; sending what it holds
}

// Recording describes the recording line.
type Recording struct {
	On      bool
	Path    string
	Elapsed string
	Bytes   int64
	State   string
}

// View draws the rows and the recording line, with note (if any) after the
// panel's title.
func (m *Model) View(c *common.Context, rows []Row, rec Recording, note string, selected int, focused bool, w, h int) []string {
	var lines []string
	for i, r := range rows {
		lines = append(lines, m.row(c, r, i == selected && focused, w))
	}
	if len(rows) == 0 {
		lines = append(lines, "  "+c.Styles.Dim.Render("no destination: press a to add one (rtmp://HOST/APP/KEY)"))
	}
	lines = append(lines, recordingRow(c, rec))
	if note != m.titleNote || m.title == "" {
		m.titleNote, m.title = note, "Outputs"
		if note != "" {
			m.title += " " + c.Styles.Rule.Render("·") + " " + c.Styles.Warn.Render(note)
		}
	}
	return c.Panel(m.title, focused, w, h, lines)
}

func (m *Model) row(c *common.Context, r Row, selected bool, w int) string {
	o := r.Out
	st := c.Styles
	name := common.Fit(o.Name, 8)
	if selected {
		name = st.Selected.Render(name)
	}
	state := o.State
	stateStyle := st.Dim
	switch {
	case r.Removing:
		state = "removing"
	case r.Idle:
		state = "ready"
	case o.State == stats.StateLive:
		stateStyle = st.Good
	case o.State == stats.StateReconnecting, o.State == stats.StateConnecting:
		stateStyle = st.Warn
	case o.State == stats.StateFailed:
		stateStyle = st.Bad
	}
	stateCol := stateStyle.Render(common.Fit(state, 12))
	if r.Idle {
		return "  " + name + " " + stateCol + " " + st.Dim.Render(o.URL)
	}
	kbps := common.FitRight(fmt.Sprintf("%.0f kb/s", o.BitrateKbps), 10)
	queue := common.FitRight(fmt.Sprintf("q %dms", o.QueueMs), 8)
	total := o.FramesSent + o.FramesDropped
	pct := 0.0
	if total > 0 {
		pct = float64(o.FramesDropped) / float64(total) * 100
	}
	dropStyle := st.Dim
	switch {
	case pct > BadDropPct:
		dropStyle = st.Bad
	case pct > WarnDropPct:
		dropStyle = st.Warn
	}
	drops := dropStyle.Render(common.Fit(fmt.Sprintf("drop %d %.1f%%", o.FramesDropped, pct), 14))
	rc := common.Fit(fmt.Sprintf("rc %d", o.Reconnects), 5)
	const fixed = 2 + 8 + 1 + 12 + 1 + 1 + 10 + 1 + 8 + 1 + 14 + 1 + 5
	left := w - fixed
	// The URL says which destination this is: it gets room first, the
	// sparkline what remains (and none at all in narrow terminals).
	urlW := max(min(len([]rune(o.URL)), left-12), min(12, left))
	sparkW := min(left-urlW-1, HistoryLen)
	spark := ""
	if sparkW >= 4 {
		spark = " " + st.Good.Render(Sparkline(m.history[o.Name], sparkW))
	}
	return "  " + name + " " + stateCol + " " + st.Dim.Render(common.Fit(o.URL, max(urlW, 0))) + " " + kbps + spark + " " + queue + " " + drops + " " + rc
}

func recordingRow(c *common.Context, rec Recording) string {
	st := c.Styles
	name := common.Fit("rec", 8)
	if !rec.On {
		return "  " + name + " " + st.Dim.Render(common.Fit("off", 12)) + " " + st.Dim.Render("press r to record")
	}
	state := st.BadgeRec.Render("● REC " + rec.Elapsed)
	if rec.State == stats.StateFailed {
		state = st.Bad.Render("failed")
	}
	return "  " + name + " " + state + "  " + FormatBytes(rec.Bytes) + "  " + st.Dim.Render(rec.Path)
}

// FormatBytes writes a size the way file managers do (1.2 MB).
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

var sparks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws the last w values scaled to their maximum, right-aligned
// (older readings scroll off to the left).
func Sparkline(values []float64, w int) string {
	if w <= 0 {
		return ""
	}
	if len(values) > w {
		values = values[len(values)-w:]
	}
	top := 0.0
	for _, v := range values {
		top = max(top, v)
	}
	var sb strings.Builder
	sb.WriteString(strings.Repeat(" ", w-len(values)))
	for _, v := range values {
		i := 0
		if top > 0 {
			i = min(int(v/top*float64(len(sparks)-1)+0.5), len(sparks)-1)
		}
		sb.WriteRune(sparks[i])
	}
	return sb.String()
}
