package tui

import (
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/require"

	"studio/pipeline/stats"
)

// filterStats is live stats whose sources and program have filters:
// pattern has denoise off, beauty on at 0.6 and a watermark on; mic only
// audio filters; the program a watermark.
func filterStats() StatsMsg {
	s := liveStats(stats.StateLive, "")
	s.Sources = []stats.Source{
		{Name: "pattern", Kind: "testsrc", State: "live", FPS: 30, Filters: []stats.Filter{
			{Name: stats.FilterDenoise, Strength: 0.5},
			{Name: stats.FilterBeauty, On: true, Strength: 0.6},
			{Name: stats.FilterWatermark, On: true}}},
		{Name: "mic", Kind: "file", State: "standby", Filters: []stats.Filter{
			{Name: stats.FilterAudioDenoise, On: true, Strength: 0.4},
			{Name: stats.FilterGate, On: true}}},
	}
	s.ProgramFilters = []stats.Filter{{Name: stats.FilterWatermark, On: true}}
	return s
}

// logLines are the log pane's texts, oldest first.
func logLines(m *Model) []string {
	var out []string
	for _, e := range m.log.Entries {
		out = append(out, e.Text)
	}
	return out
}

// sourcesRow is the Sources panel's line for name (a 120-wide view, preview
// off: the panel is the whole width).
func sourcesRow(t *testing.T, m *Model, name string) string {
	t.Helper()
	for _, l := range strings.Split(m.View(), "\n") {
		if f := strings.Fields(strings.TrimPrefix(l, "▶")); len(f) > 0 && f[0] == name {
			return l
		}
	}
	t.Fatalf("no row %s in\n%s", name, m.View())
	return ""
}

func newFilterModel(t *testing.T) (*Model, *fakeController) {
	m, f, _ := newTestModel(1)
	m.previewOn = false
	run(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	run(m, filterStats())
	return m, f
}

// b, w and [ ] act on the source selected in Sources whatever panel has the
// focus; each change is logged and shown at once; the next snapshot is the
// truth.
func TestFilterKeysDriveTheController(t *testing.T) {
	m, f := newFilterModel(t)
	require.Equal(t, "Scenes", m.Focus())
	require.Contains(t, sourcesRow(t, m, "pattern"), "▶ pattern", "the row the keys act on is marked")

	press(m, "b", "b", "]", "w", "[", "[")
	require.Equal(t, []string{
		"SetFilter pattern beauty off", "SetFilter pattern beauty on",
		"SetFilterStrength pattern beauty 0.7", "SetFilter pattern watermark off",
		"SetFilterStrength pattern beauty 0.6", "SetFilterStrength pattern beauty 0.5",
	}, f.Calls())
	require.Equal(t, []string{
		"pattern: beauty off", "pattern: beauty on (0.6)", "pattern: beauty 0.7",
		"pattern: watermark off", "pattern: beauty 0.6", "pattern: beauty 0.5",
	}, logLines(m))
	require.Contains(t, m.View(), "10:00:00 pattern: watermark off")
	require.Regexp(t, `pattern +testsrc +live +30\.0fps -dn beauty \.5 -wm`, sourcesRow(t, m, "pattern"),
		"shown before the next snapshot")
	require.Equal(t, 0.6, filterStats().Sources[0].Filters[1].Strength, "the snapshot's filters are copied, never written")

	run(m, filterStats()) // the engine's word: beauty 0.6
	require.Contains(t, sourcesRow(t, m, "pattern"), "beauty .6")
	press(m, "]")
	require.Equal(t, "SetFilterStrength pattern beauty 0.7", f.Calls()[len(f.Calls())-1], "from the snapshot's 0.6")
}

// The filter keys act on the row moved to in Sources; the mixer follows
// as before.
func TestFilterKeysFollowTheSourcesSelection(t *testing.T) {
	m, f := newFilterModel(t)
	press(m, "tab")
	require.Equal(t, "Sources", m.Focus())
	require.Contains(t, hintLine(m), "↑/↓ select • b beauty • [/] strength • w watermark • n denoise • ? help")
	press(m, "down", "b")
	require.Contains(t, sourcesRow(t, m, "mic"), "▶ mic")
	require.NotContains(t, sourcesRow(t, m, "pattern"), "▶")
	press(m, "tab", "shift+tab") // the selection stays while the focus moves
	press(m, "w")
	require.Equal(t, []string{"SetFilter mic beauty on", "SetFilter mic watermark on"}, f.Calls())
	require.Contains(t, logLines(m), "mic: beauty on (0.5)", "made by the engine at 0.5")
	require.Regexp(t, `mic +file +standby +dn beauty \.5 wm`, sourcesRow(t, m, "mic"))
}

// [ and ] move beauty in tenths within 0..1, only while it is on.
func TestBeautyStrengthSteps(t *testing.T) {
	for _, tc := range []struct {
		name     string
		strength float64
		keys     string
		calls    []string
		log      string
	}{
		{"up to 1", 0.8, "]]]", []string{"0.9", "1"}, "pattern: beauty is already at 1.0"},
		{"down to 0", 0.2, "[[[", []string{"0.1", "0"}, "pattern: beauty is already at 0.0"},
		{"off the grid, up", 0.55, "]", []string{"0.6"}, "pattern: beauty 0.6"},
		{"off the grid, down", 0.55, "[", []string{"0.5"}, "pattern: beauty 0.5"},
		{"from 0.7", 0.7, "]", []string{"0.8"}, "pattern: beauty 0.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, f := newFilterModel(t)
			s := filterStats()
			s.Sources[0].Filters[1].Strength = tc.strength
			run(m, s)
			for _, k := range tc.keys {
				press(m, string(k))
			}
			var want []string
			for _, c := range tc.calls {
				want = append(want, "SetFilterStrength pattern beauty "+c)
			}
			require.Equal(t, want, f.Calls())
			require.Equal(t, tc.log, logLines(m)[len(logLines(m))-1])
		})
	}

	// Off, or not there: [ and ] say how to turn it on, and call nothing.
	m, f := newFilterModel(t)
	s := filterStats()
	s.Sources[0].Filters[1].On = false
	run(m, s)
	press(m, "]", "tab", "down", "[")
	require.Empty(t, f.Calls())
	require.Equal(t, []string{
		"pattern: beauty is off; b turns it on first, then [ and ] set its strength",
		"mic: beauty is off; b turns it on first, then [ and ] set its strength",
	}, logLines(m))
	press(m, "b", "]")
	require.Equal(t, []string{"SetFilter mic beauty on", "SetFilterStrength mic beauty 0.6"}, f.Calls())
}

// n turns video and audio denoise to one new state: on unless either is
// on; audio denoise only where the source has it, and no call to turn off
// a video denoise that was never made.
func TestDenoiseKeyTogglesThePair(t *testing.T) {
	dn := func(on bool, v float64) stats.Filter { return stats.Filter{Name: "denoise", On: on, Strength: v} }
	adn := func(on bool, v float64) stats.Filter { return stats.Filter{Name: "audio_denoise", On: on, Strength: v} }
	gate := stats.Filter{Name: "gate", On: true}
	for _, tc := range []struct {
		name    string
		filters []stats.Filter
		calls   []string
		log     []string
		after   []stats.Filter // shown at once, in processing order
		again   []string       // a second n
	}{
		{"neither: video on", nil,
			[]string{"SetFilter cam denoise on"}, []string{"cam: denoise on (0.5)"},
			[]stats.Filter{dn(true, 0.5)}, []string{"SetFilter cam denoise off"}},
		{"both off: both on", []stats.Filter{dn(false, 0.3), adn(false, 0.4), gate},
			[]string{"SetFilter cam denoise on", "SetFilter cam audio_denoise on"},
			[]string{"cam: denoise on (0.3)", "cam: audio_denoise on (0.4)"},
			[]stats.Filter{dn(true, 0.3), adn(true, 0.4), gate},
			[]string{"SetFilter cam denoise off", "SetFilter cam audio_denoise off"}},
		{"video on: both off", []stats.Filter{dn(true, 0.5), adn(false, 0.5)},
			[]string{"SetFilter cam denoise off", "SetFilter cam audio_denoise off"},
			[]string{"cam: denoise off", "cam: audio_denoise off"},
			[]stats.Filter{dn(false, 0.5), adn(false, 0.5)},
			[]string{"SetFilter cam denoise on", "SetFilter cam audio_denoise on"}},
		{"audio on, no video: audio off", []stats.Filter{adn(true, 0.5), gate},
			[]string{"SetFilter cam audio_denoise off"}, []string{"cam: audio_denoise off"},
			[]stats.Filter{adn(false, 0.5), gate},
			[]string{"SetFilter cam denoise on", "SetFilter cam audio_denoise on"}},
		{"audio off, no video: both on", []stats.Filter{adn(false, 0.5), gate},
			[]string{"SetFilter cam denoise on", "SetFilter cam audio_denoise on"},
			[]string{"cam: denoise on (0.5)", "cam: audio_denoise on (0.5)"},
			[]stats.Filter{dn(true, 0.5), adn(true, 0.5), gate},
			[]string{"SetFilter cam denoise off", "SetFilter cam audio_denoise off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, f, _ := newTestModel(0)
			s := liveStats("", "")
			s.Sources = []stats.Source{{Name: "cam", Kind: "camera", State: "live", FPS: 30, Filters: tc.filters}}
			run(m, s)
			press(m, "n")
			require.Equal(t, tc.calls, f.Calls())
			require.Equal(t, tc.log, logLines(m))
			require.Equal(t, tc.after, m.stats.Sources[0].Filters)
			press(m, "n")
			require.Equal(t, tc.again, f.Calls()[len(tc.calls):])
		})
	}

	// n answers a question instead while one is open.
	m, f, _ := newTestModel(1)
	run(m, filterStats())
	press(m, "s", "s", "n")
	require.NotContains(t, hintLine(m), "Stop streaming?")
	require.Equal(t, []string{"GoLive"}, f.Calls())
}

// The program's own filters are the Sources panel's last row, while it has
// any.
func TestProgramFiltersRow(t *testing.T) {
	m, f := newFilterModel(t)
	require.Regexp(t, `^  program +wm +$`, sourcesRow(t, m, "program"))
	press(m, "tab", "down", "down", "down") // past the last row: stays on program
	require.Contains(t, sourcesRow(t, m, "program"), "▶ program")
	press(m, "w", "b")
	require.Equal(t, []string{"SetFilter program watermark off", "SetFilter program beauty on"}, f.Calls())
	require.Equal(t, []string{"program: watermark off", "program: beauty on (0.5)"}, logLines(m))
	require.Regexp(t, `program +beauty \.5 -wm`, sourcesRow(t, m, "program"))

	// No program filters: no row, and the selection stops at the last source.
	m, f = newFilterModel(t)
	s := filterStats()
	s.ProgramFilters = nil
	run(m, s)
	require.NotContains(t, m.View(), "program ")
	press(m, "tab", "down", "down", "w")
	require.Equal(t, []string{"SetFilter mic watermark on"}, f.Calls())
}

// The engine's refusal (a watermark the preset does not configure) is shown
// in the log and the header; nothing changes on screen.
func TestFilterErrorsShown(t *testing.T) {
	m, f := newFilterModel(t)
	f.filterErr = map[string]error{
		"mic watermark": errors.New("mic has no watermark: add sources[].filters.watermark to the preset"),
		"mic beauty":    errors.New("boom"),
	}
	press(m, "tab", "down", "w", "b")
	v := m.View()
	require.Contains(t, v, "10:00:00 watermark on: mic has no watermark: add sources[].filters.watermark to the preset")
	require.Contains(t, v, "10:00:00 mic: beauty on: boom", "an error that does not name the source gets it")
	require.Contains(t, strings.Split(v, "\n")[0], "mic: beauty on: boom", "the header shows the latest")
	require.NotContains(t, sourcesRow(t, m, "mic"), "wm")
	require.NotContains(t, sourcesRow(t, m, "mic"), "beauty")
	require.Empty(t, m.filterAsks, "the next key starts again from the engine's word")

	// No stats yet, or the engine stopped: nothing to act on, and it says so.
	m, f, _ = newTestModel(1)
	press(m, "b")
	require.Contains(t, m.View(), "no source yet")
	run(m, filterStats())
	run(m, EngineDoneMsg{})
	press(m, "w")
	require.Contains(t, m.View(), "the program has stopped; restart studio to change filters")
	require.Empty(t, f.Calls())
}

// A second ] pressed before the engine answered the first builds on it, and
// the engine gets the calls in key order however their commands are run.
func TestFilterKeysBuildOnWhatWasAsked(t *testing.T) {
	m, f := newFilterModel(t)
	key := func(k string) tea.Cmd {
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
		return cmd
	}
	first, second, third := key("]"), key("]"), key("b")
	for _, msg := range runCmd(third) { // the last command runs first
		run(m, msg)
	}
	require.Equal(t, []string{"SetFilterStrength pattern beauty 0.7", "SetFilterStrength pattern beauty 0.8",
		"SetFilter pattern beauty off"}, f.Calls())
	require.Empty(t, runCmd(first), "its call went with the last command")
	require.Empty(t, runCmd(second))
	require.Equal(t, []string{"pattern: beauty 0.7", "pattern: beauty 0.8", "pattern: beauty off"}, logLines(m))
	require.Contains(t, sourcesRow(t, m, "pattern"), "beauty .8")
	require.Empty(t, m.filterAsks)

	// Typed together, each key acts.
	run(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("b[w")})
	require.Equal(t, []string{"SetFilter pattern beauty on", "SetFilterStrength pattern beauty 0.7",
		"SetFilter pattern watermark off"}, f.Calls()[3:])
}

// The Sources hint fits 80 columns whole.
func TestSourcesHintFits(t *testing.T) {
	m, _, _ := newTestModel(1)
	press(m, "tab")
	h := hintLine(m)
	require.Equal(t, 80, ansi.StringWidth(h))
	require.NotContains(t, h, "…")
	require.Contains(t, h, "n denoise • ? help")
}
