// Package prompt is the console's one-line URL prompt (in the hint bar):
// a bubbles textinput that edits the value, drawn masked so that a stream
// key typed or pasted never shows on screen (streamers share their screen).
package prompt

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"studio/presets"
	"studio/tui/common"
)

// CharLimit bounds what may be typed: a URL, not a document.
const CharLimit = 2048

// Model is a prompt: closed until Open.
type Model struct {
	Label string // "Add destination: "
	input textinput.Model
	open  bool
}

// New makes a closed prompt with the given label.
func New(label string) Model {
	in := textinput.New()
	in.CharLimit = CharLimit
	in.Prompt = ""
	// The cursor is drawn by View, always at the end: the value on screen
	// is masked, so a cursor inside it would point at nothing.
	in.Cursor.SetMode(cursor.CursorHide)
	// ctrl+v would run xclip; the terminal's own paste (bracketed) works.
	in.KeyMap.Paste = key.NewBinding(key.WithDisabled())
	in.KeyMap.AcceptSuggestion = key.NewBinding(key.WithDisabled())
	return Model{Label: label, input: in}
}

// Open empties the prompt and shows it.
func (m *Model) Open() {
	m.input.SetValue("")
	m.input.Focus()
	m.open = true
}

// IsOpen says whether the prompt takes the keys.
func (m *Model) IsOpen() bool { return m.open }

// Update takes a key while the prompt is open. Enter closes it and returns
// what was typed (trimmed) with done set; esc or ctrl+c close it and
// return "" with done set; any other key edits the value.
func (m *Model) Update(k tea.KeyMsg) (value string, done bool) {
	switch k.Type {
	case tea.KeyEnter:
		v := strings.TrimSpace(m.input.Value())
		m.close()
		return v, true
	case tea.KeyEsc, tea.KeyCtrlC:
		m.close()
		return "", true
	}
	m.input, _ = m.input.Update(k)
	m.input.CursorEnd() // left, home... must not move it under the mask
	return "", false
}

func (m *Model) close() {
	m.input.SetValue("")
	m.input.Blur()
	m.open = false
}

// Value is what has been typed (unmasked: never draw it).
func (m *Model) Value() string { return m.input.Value() }

// View draws the prompt exactly w wide: the label, the value masked, the
// cursor after it and, when there is room, what enter and esc do. A value
// too long for the line shows its end.
func (m *Model) View(c *common.Context, w int) string {
	st := c.Styles
	label := st.Prompt.Render(" " + strings.TrimSuffix(m.Label, " ") + " ")
	cur := st.Cursor.Render(" ")
	if c.Profile == termenv.Ascii {
		cur = "_"
	}
	keys := "  " + st.Dim.Render("enter add • esc cancel")
	v := presets.MaskTyped(m.input.Value())
	lw, vw, kw := ansi.StringWidth(label), ansi.StringWidth(v), ansi.StringWidth(keys)
	if lw+vw+1+kw > w {
		keys, kw = "", 0
	}
	if room := w - lw - 1; vw > room && room > 1 {
		v = ansi.TruncateLeft(v, vw-room+1, "…")
	}
	return common.Fit(label+v+cur+keys, w)
}
