// Package common holds what every console component shares: the size and
// colour profile of the terminal, the styles, and helpers that make each
// panel exactly as wide and tall as it was given, so that panels can be laid
// side by side without lines wrapping.
package common

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// Context is shared by the root model and its components.
type Context struct {
	Width, Height int
	Profile       termenv.Profile
	Styles        Styles
}

// NewContext makes a context drawing with the given colour profile.
func NewContext(profile termenv.Profile) *Context {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(profile)
	return &Context{Profile: profile, Styles: NewStyles(r)}
}

// Styles are the console's colours, OBS's where it has them.
type Styles struct {
	Title, TitleFocused, Rule     lipgloss.Style
	Dim, Bold, Selected, Key      lipgloss.Style
	Good, Warn, Bad               lipgloss.Style
	BadgeLive, BadgeWarn          lipgloss.Style
	BadgeIdle, BadgeRec, BadgeErr lipgloss.Style
	MeterGreen, MeterYellow       lipgloss.Style
	MeterRed, MeterEmpty          lipgloss.Style
	MeterGreenDim, MeterYellowDim lipgloss.Style
	MeterRedDim                   lipgloss.Style
	Prompt, Cursor                lipgloss.Style
}

// NewStyles builds the styles on renderer r.
func NewStyles(r *lipgloss.Renderer) Styles {
	c := func(s string) lipgloss.Color { return lipgloss.Color(s) }
	st := r.NewStyle
	return Styles{
		Title:          st().Foreground(c("#8a8f98")),
		TitleFocused:   st().Foreground(c("#e8e8e8")).Bold(true),
		Rule:           st().Foreground(c("#3a3f48")),
		Dim:            st().Foreground(c("#6c7078")),
		Bold:           st().Bold(true),
		Selected:       st().Background(c("#2c3340")).Foreground(c("#ffffff")),
		Key:            st().Foreground(c("#7aa2f7")).Bold(true),
		Good:           st().Foreground(c("#4ec95d")),
		Warn:           st().Foreground(c("#e5c040")),
		Bad:            st().Foreground(c("#f0524f")),
		BadgeLive:      st().Background(c("#c42b1c")).Foreground(c("#ffffff")).Bold(true),
		BadgeWarn:      st().Background(c("#d4a017")).Foreground(c("#000000")).Bold(true),
		BadgeIdle:      st().Background(c("#3a3f48")).Foreground(c("#e8e8e8")).Bold(true),
		BadgeRec:       st().Foreground(c("#f0524f")).Bold(true),
		BadgeErr:       st().Background(c("#7a1010")).Foreground(c("#ffffff")).Bold(true),
		MeterGreen:     st().Foreground(c("#4ec95d")),
		MeterYellow:    st().Foreground(c("#e5c040")),
		MeterRed:       st().Foreground(c("#f0524f")),
		MeterGreenDim:  st().Foreground(c("#2a6a33")),
		MeterYellowDim: st().Foreground(c("#7a6a22")),
		MeterRedDim:    st().Foreground(c("#7a2a28")),
		MeterEmpty:     st().Foreground(c("#30343c")),
		Prompt:         st().Background(c("#d4a017")).Foreground(c("#000000")).Bold(true),
		Cursor:         st().Reverse(true),
	}
}

// Fit makes s exactly w cells wide: cut with an ellipsis, or padded.
func Fit(s string, w int) string { return pad(s, w, false) }

// FitRight makes s exactly w cells wide, aligned right: cut with an
// ellipsis, or padded on the left.
func FitRight(s string, w int) string { return pad(s, w, true) }

// pad makes s exactly w cells wide, padding on the left when right is set.
func pad(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		// A wide character cut in half leaves the line a cell short.
		if sw = ansi.StringWidth(s); sw == w {
			return s
		}
	}
	if right {
		return strings.Repeat(" ", w-sw) + s
	}
	return s + strings.Repeat(" ", w-sw)
}

// Block makes lines exactly w wide and h tall.
func Block(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = Fit(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", w)
		}
	}
	return out
}

// Rows makes lines that are already exactly w wide (a Panel's, or
// SideBySide's of panels) exactly h tall: cut, or padded with blank lines.
// Unlike Block it does not measure them again.
func Rows(lines []string, w, h int) []string {
	if len(lines) >= h {
		return lines[:max(h, 0)]
	}
	blank := strings.Repeat(" ", max(w, 0))
	for len(lines) < h {
		lines = append(lines, blank)
	}
	return lines
}

// Panel draws a titled panel: a rule line with the title, then body lines,
// exactly w wide and h tall (h counts the rule).
func (c *Context) Panel(title string, focused bool, w, h int, body []string) []string {
	if h <= 0 || w <= 0 {
		return nil
	}
	ts := c.Styles.Title
	if focused {
		ts = c.Styles.TitleFocused
	}
	head := c.Styles.Rule.Render("─ ") + ts.Render(title) + " "
	if rest := w - ansi.StringWidth(head); rest > 0 {
		head += c.Styles.Rule.Render(strings.Repeat("─", rest))
	}
	return append([]string{Fit(head, w)}, Block(body, w, h-1)...)
}

// SideBySide joins blocks of equal height left to right with gap spaces
// between them.
func SideBySide(gap int, blocks ...[]string) []string {
	h := 0
	for _, b := range blocks {
		h = max(h, len(b))
	}
	out := make([]string, h)
	sep := strings.Repeat(" ", gap)
	for i := range out {
		var sb strings.Builder
		for j, b := range blocks {
			if j > 0 {
				sb.WriteString(sep)
			}
			if i < len(b) {
				sb.WriteString(b[i])
			}
		}
		out[i] = sb.String()
	}
	return out
}
