// Package mixer is the console's audio mixer: one meter per source and one
// for the master, −60…0 dBFS, coloured like OBS's (green below −20, yellow
// to −9, red above), with a peak hold, the source's gain and mute.
package mixer

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"studio/pipeline/stats"
	"studio/tui/common"
)

// Meter range and zones, in dBFS.
const (
	FloorDB  = -60.0
	YellowDB = -20.0
	RedDB    = -9.0
)

// HoldTime is how long the peak marker stays before it falls to the level.
const HoldTime = 2 * time.Second

// fallPerSecond is how fast a shown level may fall: fast enough to follow
// speech, slow enough to read (about OBS's decay).
const fallPerSecond = 24.0

// Model is the mixer's state: the rows and what each meter shows.
type Model struct {
	Rows     []stats.AudioSource // sources, then the master
	Selected int
	shown    []level
	last     time.Time
}

type level struct {
	peak, rms float64
	hold      float64
	holdUntil time.Time
}

// SetLevels takes a new reading (sources then master) at time now.
func (m *Model) SetLevels(rows []stats.AudioSource, now time.Time) {
	if len(m.shown) != len(rows) {
		m.shown = make([]level, len(rows))
		for i := range m.shown {
			m.shown[i] = level{peak: -120, rms: -120, hold: -120}
		}
	}
	fall := 0.0
	if !m.last.IsZero() {
		fall = now.Sub(m.last).Seconds() * fallPerSecond
	}
	m.last = now
	m.Rows = append(m.Rows[:0], rows...)
	for i, r := range rows {
		l := &m.shown[i]
		l.peak = max(r.PeakDBFS, l.peak-fall)
		l.rms = max(r.RMSDBFS, l.rms-fall)
		if r.PeakDBFS >= l.hold || now.After(l.holdUntil) {
			l.hold, l.holdUntil = r.PeakDBFS, now.Add(HoldTime)
		}
	}
	if m.Selected >= len(rows) {
		m.Selected = max(len(rows)-1, 0)
	}
}

// SelectedName is the name of the selected row ("" when there is none).
func (m *Model) SelectedName() string {
	if m.Selected < 0 || m.Selected >= len(m.Rows) {
		return ""
	}
	return m.Rows[m.Selected].Name
}

// Move moves the selection by d rows.
func (m *Model) Move(d int) {
	if len(m.Rows) == 0 {
		return
	}
	m.Selected = min(max(m.Selected+d, 0), len(m.Rows)-1)
}

// Height is the rows the panel wants, with its title.
func (m *Model) Height() int { return max(len(m.Rows), 1) + 1 }

// View draws the panel w wide and h tall.
func (m *Model) View(c *common.Context, w, h int, focused bool) []string {
	var lines []string
	if len(m.Rows) == 0 {
		lines = append(lines, c.Styles.Dim.Render("no audio yet"))
	}
	const fixed = 2 + 8 + 1 + 1 + 6 + 1 + 6 + 1 + 4
	bw := max(w-fixed, 6)
	for i, r := range m.Rows {
		l := level{peak: -120, rms: -120, hold: -120}
		if i < len(m.shown) {
			l = m.shown[i]
		}
		mark, name := "  ", common.Fit(r.Name, 8)
		var style *lipgloss.Style
		if r.Name == stats.MasterName {
			style = &c.Styles.Bold
		}
		if i == m.Selected {
			mark = "▶ "
			if focused {
				style = &c.Styles.Selected
			}
		}
		if style != nil {
			name = style.Render(name)
		}
		db := "  -inf"
		if l.peak > -100 {
			db = fmt.Sprintf("%6.1f", l.peak)
		}
		mute := "    "
		if r.Muted {
			mute = c.Styles.Bad.Render("MUTE")
		}
		lines = append(lines, mark+name+" "+Meter(c, l.peak, l.rms, l.hold, bw, r.Muted)+" "+db+" "+
			common.FitRight(fmt.Sprintf("%+.0fdB", r.GainDB), 6)+" "+mute)
	}
	return c.Panel("Audio", focused, w, h, lines)
}

// Meter draws one level meter bw cells wide: solid to the RMS level, lighter
// to the peak, a bar at the held peak; each cell coloured by the zone it
// stands for. A muted source's meter is drawn dim.
func Meter(c *common.Context, peak, rms, hold float64, bw int, muted bool) string {
	st := c.Styles
	var sb strings.Builder
	step := -FloorDB / float64(bw)
	holdCell := -1
	if hold > FloorDB {
		holdCell = min(int((hold-FloorDB)/step), bw-1)
	}
	// Cells are gathered into runs of one glyph and colour, each rendered
	// once: a style render per cell would cost thousands of allocations per
	// frame.
	var run strings.Builder
	var runStyle *lipgloss.Style
	flush := func() {
		if run.Len() > 0 {
			sb.WriteString(runStyle.Render(run.String()))
			run.Reset()
		}
	}
	for i := 0; i < bw; i++ {
		lo := FloorDB + float64(i)*step
		style, dim := &st.MeterGreen, &st.MeterGreenDim
		switch {
		case lo >= RedDB:
			style, dim = &st.MeterRed, &st.MeterRedDim
		case lo >= YellowDB:
			style, dim = &st.MeterYellow, &st.MeterYellowDim
		}
		if muted {
			style = dim
		}
		glyph := "·"
		switch {
		case rms > lo:
			glyph = "█"
		case peak > lo:
			glyph = "▓"
		case i == holdCell:
			glyph = "│"
		default:
			style = &st.MeterEmpty
		}
		if style != runStyle {
			flush()
			runStyle = style
		}
		run.WriteString(glyph)
	}
	flush()
	return sb.String()
}
