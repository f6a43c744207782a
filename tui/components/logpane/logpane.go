// Package logpane is the console's log: the latest warnings and errors with
// their times. Messages arrive already masked by the engine.
package logpane

import (
	"strings"
	"time"

	"studio/tui/common"
)

// Levels of an entry.
const (
	Info  = "info"
	Warn  = "warn"
	Error = "error"
)

// Entry is one log line.
type Entry struct {
	Time  time.Time
	Level string
	Text  string
}

// keep is how many entries are remembered.
const keep = 200

// Model holds the recent entries.
type Model struct {
	Entries []Entry
}

// Add appends an entry, forgetting the oldest beyond keep.
func (m *Model) Add(e Entry) {
	e.Text = strings.Join(strings.Fields(e.Text), " ") // one line each
	m.Entries = append(m.Entries, e)
	if len(m.Entries) > keep {
		m.Entries = append(m.Entries[:0], m.Entries[len(m.Entries)-keep:]...)
	}
}

// View draws the newest entries that fit, newest last.
func (m *Model) View(c *common.Context, w, h int) []string {
	n := h - 1
	if n <= 0 {
		return c.Panel("Log", false, w, h, nil)
	}
	start := max(len(m.Entries)-n, 0)
	var lines []string
	for _, e := range m.Entries[start:] {
		style := c.Styles.Dim
		switch e.Level {
		case Warn:
			style = c.Styles.Warn
		case Error:
			style = c.Styles.Bad
		}
		lines = append(lines, c.Styles.Dim.Render(e.Time.Format("15:04:05"))+" "+style.Render(e.Text))
	}
	if len(lines) == 0 {
		lines = append(lines, c.Styles.Dim.Render("warnings and errors appear here"))
	}
	return c.Panel("Log", false, w, h, lines)
}
