// Package scenes is the console's scene list: the preset's scenes with
// their keys, the one on air marked.
package scenes

import (
	"fmt"

	"studio/tui/common"
)

// View draws the scenes, active on air, selected under the cursor.
func View(c *common.Context, names []string, active, selected int, focused bool, w, h int) []string {
	var lines []string
	for i, n := range names {
		mark := "  "
		label := fmt.Sprintf("%d %s", i+1, n)
		if i >= 9 {
			label = "  " + n
		}
		if i == active {
			mark = c.Styles.Bad.Render("● ")
			label = c.Styles.Bold.Render(label) + c.Styles.Dim.Render("  on air")
		}
		if focused && i == selected {
			label = c.Styles.Selected.Render(fmt.Sprintf("%d %s", i+1, n))
			if i == active {
				label += c.Styles.Dim.Render("  on air")
			}
		}
		lines = append(lines, mark+label)
	}
	return c.Panel("Scenes", focused, w, h, lines)
}
