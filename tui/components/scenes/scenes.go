// Package scenes is the console's scene list: the preset's scenes with
// their keys, the one on air marked.
package scenes

import (
	"strconv"

	"github.com/charmbracelet/lipgloss"

	"studio/tui/common"
)

// View draws the scenes, active on air, selected under the cursor. A preset
// has at most nine scenes, one per key 1-9.
func View(c *common.Context, names []string, active, selected int, focused bool, w, h int) []string {
	lines := make([]string, 0, len(names))
	for i, n := range names {
		label := strconv.Itoa(i+1) + " " + n
		mark, onAir := "  ", ""
		var style *lipgloss.Style
		if i == active {
			mark, onAir, style = c.Styles.Bad.Render("● "), c.Styles.Dim.Render("  on air"), &c.Styles.Bold
		}
		if focused && i == selected {
			style = &c.Styles.Selected
		}
		if style != nil {
			label = style.Render(label)
		}
		lines = append(lines, mark+label+onAir)
	}
	return c.Panel("Scenes", focused, w, h, lines)
}
