package prompt

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/require"

	"studio/tui/common"
)

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func TestEditEnterEsc(t *testing.T) {
	m := New("Add destination: ")
	require.False(t, m.IsOpen())
	m.Open()
	require.True(t, m.IsOpen())
	typeText(&m, "rtmp://h/app/kez")
	m.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	// Moving left would put the cursor under the mask: it stays at the end.
	m.Update(tea.KeyMsg{Type: tea.KeyLeft})
	m.Update(tea.KeyMsg{Type: tea.KeyHome})
	typeText(&m, "y")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(" ?a=b "), Paste: true})
	require.Equal(t, "rtmp://h/app/key ?a=b ", m.Value())
	v, done := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	require.True(t, done)
	require.Equal(t, "rtmp://h/app/key ?a=b", v, "trimmed")
	require.False(t, m.IsOpen())

	m.Open()
	require.Empty(t, m.Value(), "opens empty")
	typeText(&m, "rtmp://h/app/key")
	v, done = m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	require.True(t, done)
	require.Empty(t, v)
	require.False(t, m.IsOpen())
	require.Empty(t, m.Value(), "esc forgets what was typed")
}

func TestViewMaskedCursorAtEnd(t *testing.T) {
	m := New("Add destination: ")
	m.Open()
	typeText(&m, "rtmp://live.example.com/app/SECRET")

	c := common.NewContext(termenv.TrueColor)
	v := m.View(c, 80)
	require.Equal(t, 80, ansi.StringWidth(v))
	require.NotContains(t, v, "SECRET")
	require.Contains(t, ansi.Strip(v), " Add destination: rtmp://live.example.com/app/****   enter add • esc cancel")
	require.Contains(t, v, "/app/****\x1b[7m \x1b[0m", "the cursor (reverse video) right after the masked value")

	a := common.NewContext(termenv.Ascii)
	require.True(t, strings.HasPrefix(m.View(a, 80), " Add destination: rtmp://live.example.com/app/****_  enter"))

	// Too long for the line: its end shows, with the cursor.
	for _, w := range []int{30, 45} {
		v := m.View(a, w)
		require.Equal(t, w, ansi.StringWidth(v))
		require.True(t, strings.HasPrefix(v, " Add destination: …"), v)
		require.True(t, strings.HasSuffix(v, "/app/****_"), v)
	}
}
