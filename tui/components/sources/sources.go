// Package sources is the console's source list: each source's kind, state
// (live, standby, stalled, error, ended) and frame rate (a capture device's
// own rate, which shows a camera that slowed down or a screen that stopped),
// and why a source is in trouble.
package sources

import (
	"fmt"
	"strings"

	"studio/pipeline/stats"
	"studio/tui/common"
)

// View draws one row per source.
func View(c *common.Context, list []stats.Source, selected int, focused bool, w, h int) []string {
	var lines []string
	for i, s := range list {
		style := &c.Styles.Dim
		switch s.State {
		case stats.SourceLive:
			style = &c.Styles.Good
		case stats.SourceStalled:
			style = &c.Styles.Warn
		case stats.SourceError, stats.SourceEnded:
			style = &c.Styles.Bad
		}
		state := style.Render(common.Fit(s.State, 8))
		name := common.Fit(s.Name, 9)
		if focused && i == selected {
			name = c.Styles.Selected.Render(name)
		}
		fps := ""
		if s.State == stats.SourceLive || s.State == stats.SourceStalled && s.Kind != "testsrc" && s.Kind != "file" {
			fps = fmt.Sprintf("%.1ffps", s.FPS)
		}
		row := "  " + name + " " + common.Fit(s.Kind, 8) + " " + state + " " + fps
		if s.Error != "" && (s.State == stats.SourceError || s.State == stats.SourceStalled) {
			row += " " + c.Styles.Bad.Render(reason(s.Error))
		}
		lines = append(lines, row)
	}
	if len(lines) == 0 {
		lines = append(lines, c.Styles.Dim.Render("starting…"))
	}
	return c.Panel("Sources", focused, w, h, lines)
}

// reason shortens a device error for the narrow row: the row already names
// the source, so "screen :0: the X server went away" reads "the X server
// went away" (the log keeps the whole message).
func reason(err string) string {
	for _, dev := range []string{"screen ", "camera ", "audio "} {
		if strings.HasPrefix(err, dev) {
			if _, rest, ok := strings.Cut(err, ": "); ok {
				return rest
			}
		}
	}
	return err
}
