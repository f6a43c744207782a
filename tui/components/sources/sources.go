// Package sources is the console's source list: each source's kind, state
// (live, standby, stalled, error, ended) and frame rate (a capture device's
// own rate, which shows a camera that slowed down or a screen that stopped),
// why a source is in trouble, and the filters the console toggles (denoise,
// beauty with its strength, watermark), dim while off (and marked -wm
// without colour, where dim does not show). The program's own
// filters are its last row, named stats.ProgramName, when it has any. The
// row the filter keys act on is marked ▶ whatever panel has the focus.
//
// A row gives way from the right when the panel is narrow: with filters to
// show, the kind goes first (the preview's column is 40 to 56 cells), then
// the badges shorten (beauty .6 → b.6); what is still too wide is cut.
package sources

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"studio/pipeline/stats"
	"studio/tui/common"
)

// Column widths: the mark, name, kind, state and frame rate.
const (
	markW  = 2
	nameW  = 9
	kindW  = 8
	stateW = 8
	fpsW   = 7 // "30.0fps"
)

// View draws one row per source, then the program's row when program (its
// filters) is not empty. selected counts that row too (len(list)).
func View(c *common.Context, list []stats.Source, program []stats.Filter, selected int, focused bool, w, h int) []string {
	// Badges, when any row has them, decide the row's form.
	marks := c.Profile == termenv.Ascii
	longest := badgesWidth(program, false, marks)
	for _, s := range list {
		longest = max(longest, badgesWidth(s.Filters, false, marks))
	}
	withKind, short := true, false
	if longest > 0 {
		fixed := markW + nameW + 1 + stateW + 1 + fpsW + 1
		switch {
		case fixed+kindW+1+longest <= w:
		case fixed+longest <= w:
			withKind = false
		default:
			withKind, short = false, true
		}
	}
	lines := make([]string, 0, len(list)+1)
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
		var sb strings.Builder
		sb.Grow(2 * w) // styles add escapes to the cells
		writeName(c, &sb, s.Name, i == selected, focused, nil)
		sb.WriteByte(' ')
		if withKind {
			sb.WriteString(common.Fit(s.Kind, kindW))
			sb.WriteByte(' ')
		}
		sb.WriteString(style.Render(common.Fit(s.State, stateW)))
		sb.WriteByte(' ')
		fps := ""
		if s.State == stats.SourceLive || s.State == stats.SourceStalled && s.Kind != "testsrc" && s.Kind != "file" {
			fps = fmt.Sprintf("%.1ffps", s.FPS)
		}
		sb.WriteString(fps)
		if longest > 0 {
			pad(&sb, fpsW-len(fps))
			writeBadges(c, &sb, s.Filters, short)
		}
		if s.Error != "" && (s.State == stats.SourceError || s.State == stats.SourceStalled) {
			sb.WriteByte(' ')
			sb.WriteString(c.Styles.Bad.Render(reason(s.Error)))
		}
		lines = append(lines, sb.String())
	}
	if len(program) > 0 {
		var sb strings.Builder
		sb.Grow(2 * w)
		writeName(c, &sb, stats.ProgramName, selected == len(list), focused, &c.Styles.Bold)
		blank := 1 + stateW + 1 + fpsW
		if withKind {
			blank += kindW + 1
		}
		pad(&sb, blank)
		writeBadges(c, &sb, program, short)
		lines = append(lines, sb.String())
	}
	if len(lines) == 0 {
		lines = append(lines, c.Styles.Dim.Render("starting…"))
	}
	return c.Panel("Sources", focused, w, h, lines)
}

// pad writes n spaces (none when n <= 0).
func pad(sb *strings.Builder, n int) {
	for n > 0 {
		k := min(n, len(spaces))
		sb.WriteString(spaces[:k])
		n -= k
	}
}

const spaces = "                                " // 32

// writeName writes a row's mark and name: ▶ on the selected row,
// highlighted while the panel has the focus.
func writeName(c *common.Context, sb *strings.Builder, n string, selected, focused bool, style *lipgloss.Style) {
	mark := "  "
	if selected {
		mark = "▶ "
		if focused {
			style = &c.Styles.Selected
		}
	}
	n = common.Fit(n, nameW)
	if style != nil {
		n = style.Render(n)
	}
	sb.WriteString(mark)
	sb.WriteString(n)
}

// A badge per filter the console toggles, in processing order: dn for
// denoise (video, or audio, or both: n toggles them together, and the badge
// is on while either is), beauty with its strength, wm for the watermark.
// The audio filters the console does not toggle (gate, gain, limiter) are
// left to the preset.

// badgeState sums up filters for the badges.
type badgeState struct {
	dn, dnOn         bool
	beauty, beautyOn bool
	strength         float64
	wm, wmOn         bool
}

func sumUp(fs []stats.Filter) badgeState {
	var b badgeState
	for _, f := range fs {
		switch f.Name {
		case stats.FilterDenoise, stats.FilterAudioDenoise:
			b.dn, b.dnOn = true, b.dnOn || f.On
		case stats.FilterBeauty:
			b.beauty, b.beautyOn, b.strength = true, f.On, f.Strength
		case stats.FilterWatermark:
			b.wm, b.wmOn = true, f.On
		}
	}
	return b
}

// badgesWidth is how wide fs's badges are (0: none); marks: those off
// are marked with a -.
func badgesWidth(fs []stats.Filter, short, marks bool) int {
	if len(fs) == 0 {
		return 0
	}
	b := sumUp(fs)
	n, w := 0, 0
	add := func(bw int, on bool) {
		n++
		w += bw
		if marks && !on {
			w++
		}
	}
	if b.dn {
		add(2, b.dnOn)
	}
	if b.beauty {
		if short {
			add(1+len(tenths(b.strength)), b.beautyOn)
		} else {
			add(len("beauty ")+len(tenths(b.strength)), b.beautyOn)
		}
	}
	if b.wm {
		add(2, b.wmOn)
	}
	if n == 0 {
		return 0
	}
	return w + n - 1
}

// writeBadges writes fs's badges, each after a space, those off dim, or
// marked with a - without colour.
func writeBadges(c *common.Context, sb *strings.Builder, fs []stats.Filter, short bool) {
	b := sumUp(fs)
	put := func(text string, on bool) {
		sb.WriteByte(' ')
		switch {
		case on:
			sb.WriteString(text)
		case c.Profile == termenv.Ascii:
			sb.WriteByte('-')
			sb.WriteString(text)
		default:
			sb.WriteString(c.Styles.Dim.Render(text))
		}
	}
	if b.dn {
		put("dn", b.dnOn)
	}
	if b.beauty {
		label := "beauty "
		if short {
			label = "b"
		}
		put(label+tenths(b.strength), b.beautyOn)
	}
	if b.wm {
		put("wm", b.wmOn)
	}
}

// tenths is a filter strength (0..1) in tenths, as short as it reads:
// 0, .1 … .9, 1.
func tenths(v float64) string {
	t := int(v*10 + 0.5)
	switch {
	case t <= 0:
		return "0"
	case t >= 10:
		return "1"
	}
	return "." + strconv.Itoa(t)
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
