package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the console's key contract; tests and users rely on it.
type KeyMap struct {
	Live, Record, Scene, Next, Prev, Up, Down, Left, Right, Enter key.Binding
	Mute, GainUp, GainDown, Preview, Reconnect, Help, Quit        key.Binding
	Add, Remove                                                   key.Binding
	// Filters of the source selected in the Sources panel (or of the
	// program, its last row), whatever panel has the focus. Denoise's n is
	// also No, which only a y/n question reads (it takes every key first).
	Beauty, Watermark, Denoise, Weaker, Stronger key.Binding
	Yes, No                                      key.Binding
}

// DefaultKeys is the contract of issue #3 and the README.
var DefaultKeys = KeyMap{
	Live:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "go live / stop")),
	Record:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "record / stop")),
	Scene:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "scene")),
	Next:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next panel")),
	Prev:      key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "prev panel")),
	Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	Left:      key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "prev panel")),
	Right:     key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "next panel")),
	Enter:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "scene at cursor")),
	Mute:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mute / unmute")),
	GainUp:    key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "gain +1 dB")),
	GainDown:  key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "gain -1 dB")),
	Preview:   key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "preview")),
	Reconnect: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "reconnect now")),
	Add:       key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add destination")),
	Remove:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "remove destination")),
	Beauty:    key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "beauty on / off")),
	Watermark: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "watermark on / off")),
	Denoise:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "denoise on / off")),
	Weaker:    key.NewBinding(key.WithKeys("["), key.WithHelp("[", "beauty -0.1")),
	Stronger:  key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "beauty +0.1")),
	Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	Yes:       key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
	No:        key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
}

// hint is the short form of a binding for the hint bar.
func hint(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// ShortHelp is the always-visible hint bar: short words, so that it fits 80
// columns.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{
		hint(k.Live, "live"), hint(k.Record, "rec"), hint(k.Scene, "scene"),
		hint(k.Mute, "mute"), key.NewBinding(key.WithKeys("+", "-"), key.WithHelp("+/-", "gain")),
		hint(k.Preview, "preview"), hint(k.Help, "help"), hint(k.Quit, "quit"),
	}
}

// OutputsHelp is the hint bar while the Outputs panel has the focus: what
// acts on destinations.
func (k KeyMap) OutputsHelp() []key.Binding {
	return []key.Binding{
		hint(k.Add, "add"), hint(k.Remove, "remove"), key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "select")),
		hint(k.Reconnect, "reconnect"), hint(k.Live, "live"), hint(k.Help, "help"), hint(k.Quit, "quit"),
	}
}

// SourcesHelp is the hint bar while the Sources panel has the focus: the
// filters of the selected source (q is left out to fit 80 columns).
func (k KeyMap) SourcesHelp() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "select")), hint(k.Beauty, "beauty"),
		key.NewBinding(key.WithKeys("[", "]"), key.WithHelp("[/]", "strength")), hint(k.Watermark, "watermark"),
		hint(k.Denoise, "denoise"), hint(k.Help, "help"),
	}
}

// FullHelp is what ? shows: three columns, so that every key fits 80
// columns: the program and its outputs, what acts on a source (fader and
// filters), moving around.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Live, k.Record, k.Reconnect, k.Add, k.Remove, k.Scene, k.Enter, k.Preview, k.Help, k.Quit},
		{k.Mute, k.GainUp, k.GainDown, k.Beauty, k.Weaker, k.Stronger, k.Watermark, k.Denoise},
		{k.Next, k.Prev, k.Up, k.Down, k.Left, k.Right},
	}
}
