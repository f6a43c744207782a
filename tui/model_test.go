package tui

import (
	"errors"
	"image"
	"image/color"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/require"

	"studio/internal/procstat"
	"studio/pipeline/stats"
)

// fakeController records calls and answers like the engine.
type fakeController struct {
	mu      sync.Mutex
	calls   []string
	liveErr error
	addErr  error
	added   int // destinations added so far: the next is out(2+added)
	pic     *image.RGBA
	levels  []stats.AudioSource
	preview bool
	// seqStep: every Preview call is a new picture (a live program).
	seqStep bool
	seq     uint64
	// filterErr is what SetFilter and SetFilterStrength answer for
	// "source filter".
	filterErr map[string]error
}

func (f *fakeController) record(c string) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

func (f *fakeController) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeController) GoLive() error   { f.record("GoLive"); return f.liveErr }
func (f *fakeController) StopLive() error { f.record("StopLive"); return nil }
func (f *fakeController) StartRecording() (string, error) {
	f.record("StartRecording")
	return "studio-2026-11-22_10-00-00.flv", nil
}
func (f *fakeController) StopRecording() (string, int64, error) {
	f.record("StopRecording")
	return "studio-2026-11-22_10-00-00.flv", 12_900_000, nil
}
func (f *fakeController) Reconnect() error { f.record("Reconnect"); return nil }
func (f *fakeController) AddDestination(name, url string) (string, error) {
	f.record("AddDestination " + url)
	if f.addErr != nil {
		return "", f.addErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added++
	return "out" + strconv.Itoa(1+f.added), nil
}
func (f *fakeController) RemoveDestination(name string) error {
	f.record("RemoveDestination " + name)
	return nil
}
func (f *fakeController) SwitchScene(i int) error {
	f.record("SwitchScene " + string(rune('0'+i)))
	return nil
}
func (f *fakeController) SetMute(s string, m bool) error {
	if m {
		f.record("Mute " + s)
	} else {
		f.record("Unmute " + s)
	}
	return nil
}
func (f *fakeController) SetFilter(source, filter string, on bool) error {
	f.record("SetFilter " + source + " " + filter + " " + map[bool]string{true: "on", false: "off"}[on])
	return f.filterErr[source+" "+filter]
}
func (f *fakeController) SetFilterStrength(source, filter string, v float64) error {
	f.record("SetFilterStrength " + source + " " + filter + " " + strconv.FormatFloat(v, 'f', -1, 64))
	return f.filterErr[source+" "+filter]
}
func (f *fakeController) SetGain(s string, db float64) error {
	f.record("Gain " + s + " " + strconv.FormatFloat(db, 'f', -1, 64))
	return nil
}
func (f *fakeController) SetPreview(on bool) {
	f.mu.Lock()
	f.preview = on
	f.mu.Unlock()
	f.record("SetPreview " + map[bool]string{true: "on", false: "off"}[on])
}
func (f *fakeController) Preview(dst *image.RGBA, since uint64) (*image.RGBA, uint64) {
	if f.pic == nil {
		return dst, 0
	}
	if f.seqStep {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.seq++
		return f.pic, f.seq
	}
	return f.pic, 1
}
func (f *fakeController) Levels(dst []stats.AudioSource) []stats.AudioSource {
	return append(dst[:0], f.levels...)
}

// colourBars is a 256x144 picture of eight vertical bars.
func colourBars() *image.RGBA {
	bars := []color.RGBA{{255, 255, 255, 255}, {255, 255, 0, 255}, {0, 255, 255, 255}, {0, 255, 0, 255},
		{255, 0, 255, 255}, {255, 0, 0, 255}, {0, 0, 255, 255}, {0, 0, 0, 255}}
	img := image.NewRGBA(image.Rect(0, 0, 256, 144))
	for y := 0; y < 144; y++ {
		for x := 0; x < 256; x++ {
			img.SetRGBA(x, y, bars[x/32])
		}
	}
	return img
}

var testLevels = []stats.AudioSource{
	{Name: "pattern", PeakDBFS: -6, RMSDBFS: -12},
	{Name: "mic", PeakDBFS: -30, RMSDBFS: -36, Muted: true, GainDB: -3},
	{Name: "master", PeakDBFS: -6, RMSDBFS: -12},
}

// fixedClock is a clock tests move by hand.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func newTestModel(dests int) (*Model, *fakeController, *fixedClock) {
	f := &fakeController{pic: colourBars(), levels: testLevels}
	opts := Options{Preset: "demo", Scenes: []string{"Live", "Bars", "BRB"}, Preview: true, VideoKbps: 2500}
	for i := 0; i < dests; i++ {
		opts.Destinations = append(opts.Destinations, Destination{Name: "out" + string(rune('1'+i)), URL: "rtmp://127.0.0.1:1935/live/****"})
	}
	m := New(f, opts, termenv.Ascii)
	clk := &fixedClock{t: t0}
	m.SetClock(clk.now)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m, f, clk
}

// run feeds msg to the model and runs the commands it returns (and theirs),
// skipping the refresh tick.
func run(m *Model, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg, queue = queue[0], queue[1:]
		_, cmd := m.Update(msg)
		queue = append(queue, runCmd(cmd)...)
	}
}

func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, runCmd(c)...)
		}
		return out
	case tickMsg, tea.QuitMsg:
		return nil
	}
	return []tea.Msg{msg}
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "shift+tab":
			msg = tea.KeyMsg{Type: tea.KeyShiftTab}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		case "ctrl+c":
			msg = tea.KeyMsg{Type: tea.KeyCtrlC}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		run(m, msg)
	}
}

func liveStats(state, lastErr string) StatsMsg {
	return StatsMsg{
		Scene: "Live", Scenes: []string{"Live", "Bars", "BRB"},
		Sources: []stats.Source{{Name: "pattern", Kind: "testsrc", State: "live", FPS: 30},
			{Name: "mic", Kind: "file", State: "standby"}},
		Video:   stats.Video{Width: 1280, Height: 720, FPS: 30, FramesEncoded: 900, EncodeMs: 4.6, BitrateKbps: 2480},
		Outputs: []stats.Output{{Name: "out1", URL: "rtmp://127.0.0.1:1935/live/****", State: state, BitrateKbps: 2650, BytesSent: 9_900_000, FramesSent: 880, FramesDropped: 20, QueueMs: 40, Congestion: 0.01, Reconnects: 1, LastError: lastErr}},
		Process: stats.Process{CPUPercent: 38.4, RSSMB: 120},
	}
}

func TestKeysDriveTheController(t *testing.T) {
	m, f, clk := newTestModel(1)
	run(m, liveStats("", ""))
	require.Equal(t, "READY", m.State())

	press(m, "s")
	require.Equal(t, []string{"GoLive"}, f.Calls())
	require.True(t, m.live)
	require.Equal(t, "CONNECTING", m.State(), "live asked, the server not answered yet")
	run(m, liveStats(stats.StateLive, ""))
	require.Equal(t, "LIVE", m.State())
	clk.add(65 * time.Second)
	require.Contains(t, m.View(), "LIVE 00:01:05")

	// Stopping asks first; n keeps streaming.
	press(m, "s")
	require.Contains(t, m.View(), "Stop streaming? (y/n)")
	press(m, "n")
	require.NotContains(t, m.View(), "Stop streaming?")
	require.Equal(t, []string{"GoLive"}, f.Calls())

	press(m, "r")
	require.True(t, m.recording)
	require.Contains(t, m.View(), "REC 00:00:00")
	press(m, "2")
	require.Contains(t, m.View(), "scene Bars")
	press(m, "9") // there is no scene 9
	press(m, "tab", "tab")
	require.Equal(t, "Audio", m.Focus())
	run(m, tickMsg{at: clk.now(), levels: slices.Clone(testLevels)})
	press(m, "m", "+", "+", "down", "-", "m")
	press(m, "p")
	press(m, "c")
	press(m, "shift+tab", "shift+tab", "down", "enter")
	require.Equal(t, "Scenes", m.Focus())

	press(m, "r")
	require.False(t, m.recording)
	require.Contains(t, m.View(), "recording saved: studio-2026-11-22_10-00-00.flv (12.3 MB)")
	press(m, "s", "y")
	require.False(t, m.live)
	require.Equal(t, "READY", m.State())

	require.Equal(t, []string{"GoLive", "StartRecording", "SwitchScene 1",
		"Mute pattern", "Gain pattern 1", "Gain pattern 2", "Gain mic -4", "Unmute mic",
		"SetPreview off", "Reconnect", "SwitchScene 2", "StopRecording", "StopLive"}, f.Calls())
}

func TestQuitAsksWhileLive(t *testing.T) {
	m, f, _ := newTestModel(1)
	press(m, "q")
	require.True(t, m.Quitting(), "nothing live: q quits at once")

	m, f, _ = newTestModel(1)
	press(m, "s")
	press(m, "q")
	require.False(t, m.Quitting())
	require.Contains(t, m.View(), "Stop streaming and quit? (y/n)")
	press(m, "n")
	require.False(t, m.Quitting())
	press(m, "q", "y")
	require.True(t, m.Quitting())
	require.Equal(t, []string{"GoLive"}, f.Calls(), "the command line stops the engine after the console")

	// ctrl+c twice forces.
	m, _, _ = newTestModel(1)
	press(m, "r", "ctrl+c")
	require.Contains(t, m.View(), "Stop recording and quit? (y/n)")
	require.False(t, m.Quitting())
	press(m, "ctrl+c")
	require.True(t, m.Quitting())
}

func TestNoDestinationOffersRecording(t *testing.T) {
	m, f, _ := newTestModel(0)
	press(m, "s")
	v := m.View()
	require.Contains(t, v, "Record locally instead? (y/n)")
	require.Contains(t, v, "press a to add one (rtmp://HOST/APP/KEY)")
	press(m, "y")
	require.Equal(t, []string{"StartRecording"}, f.Calls())
	require.True(t, m.recording)
}

func TestEngineErrorsReachHeaderAndLog(t *testing.T) {
	m, f, clk := newTestModel(1)
	f.liveErr = errors.New("out1: connection refused by 127.0.0.1:1935 (is the RTMP server running on that port?)")
	press(m, "s")
	require.False(t, m.live)
	v := m.View()
	lines := strings.Split(v, "\n")
	require.Contains(t, lines[0], "go live: out1: connection refused", "the header shows the error")
	require.Contains(t, v, "10:00:00 go live: out1: connection refused")

	clk.add(errorShownFor + time.Second)
	require.NotContains(t, strings.Split(m.View(), "\n")[0], "connection refused", "the header forgets old errors; the log keeps them")

	run(m, EngineDoneMsg{Err: errors.New("source: test pattern video: boom")})
	require.Equal(t, "STOPPED", m.State())
	require.Contains(t, m.View(), "engine stopped: source: test pattern video: boom")
	press(m, "s")
	require.Contains(t, m.View(), "the program has stopped")
}

// Every size draws exactly its width and height: panels are dropped, never
// wrapped.
func TestLayoutFitsEverySize(t *testing.T) {
	for _, preview := range []bool{true, false} {
		for _, sz := range [][2]int{{30, 8}, {40, 12}, {60, 20}, {80, 24}, {100, 30}, {120, 40}, {200, 60}, {80, 10}} {
			m, _, _ := newTestModel(2)
			m.previewOn = preview
			run(m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			run(m, liveStats(stats.StateLive, ""))
			run(m, tickMsg{at: t0, levels: slices.Clone(testLevels), picture: colourBars(), seq: 1})
			press(m, "s")
			lines := strings.Split(m.View(), "\n")
			require.Len(t, lines, sz[1], "%v preview %v", sz, preview)
			for i, l := range lines {
				require.Equal(t, sz[0], ansi.StringWidth(l), "%v preview %v line %d: %q", sz, preview, i, l)
			}
			v := m.View()
			require.Contains(t, lines[0], "LIVE")
			if sz[1] >= 12 {
				require.Contains(t, v, "Audio", "%v", sz)
				require.Contains(t, v, "Outputs", "%v", sz)
			}
			if sz[0] >= 80 && sz[1] >= 24 {
				require.Contains(t, v, "Scenes")
				require.Contains(t, v, "Log")
			}
		}
	}
}

func TestHelpShowsEveryKey(t *testing.T) {
	m, _, _ := newTestModel(1)
	run(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	press(m, "?")
	v := m.View()
	for _, k := range []string{"s", "r", "1-9", "tab", "m", "+", "-", "p", "c", "?", "q", "enter", "a", "x", "shift+tab",
		"b", "w", "n", "[", "]"} {
		require.Contains(t, v, k+" ")
	}
	for _, d := range []string{"beauty on / off", "beauty -0.1", "beauty +0.1", "watermark on / off", "denoise on / off"} {
		require.Contains(t, v, d)
	}
	require.Contains(t, v, "reconnect now")
	require.Contains(t, v, "add destination")
	require.Contains(t, v, "remove destination")
	press(m, "?")
	require.Contains(t, m.View(), "Outputs")
}

// Keys typed fast reach the console as one message; each must act.
func TestKeysTypedTogether(t *testing.T) {
	m, f, _ := newTestModel(1)
	run(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("s2r")})
	require.Equal(t, []string{"GoLive", "SwitchScene 1", "StartRecording"}, f.Calls())
	run(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("s2r"), Paste: true})
	require.Len(t, f.Calls(), 3, "a paste is not a string of commands")
}

// A second + pressed before the engine's meters caught up builds on the
// first, and m twice is mute then unmute, whatever the meters said between.
func TestFaderKeysBuildOnWhatWasAsked(t *testing.T) {
	m, f, clk := newTestModel(1)
	run(m, tickMsg{at: clk.now(), levels: slices.Clone(testLevels)})
	press(m, "tab", "tab")
	press(m, "+")
	run(m, tickMsg{at: clk.now(), levels: slices.Clone(testLevels)}) // still says 0 dB
	press(m, "+", "m")
	run(m, tickMsg{at: clk.now(), levels: slices.Clone(testLevels)}) // still says unmuted
	press(m, "m")
	require.Equal(t, []string{"Gain pattern 1", "Gain pattern 2", "Mute pattern", "Unmute pattern"}, f.Calls())
}

func TestHintBarAlwaysVisible(t *testing.T) {
	m, _, _ := newTestModel(1)
	last := func() string { l := strings.Split(m.View(), "\n"); return l[len(l)-1] }
	require.Contains(t, last(), "s live")
	require.Contains(t, last(), "q quit", "the whole hint fits 80 columns")
}

func TestStatsUpdateScenesAndSources(t *testing.T) {
	m, _, _ := newTestModel(1)
	s := liveStats(stats.StateLive, "")
	s.Scene = "BRB"
	s.Sources[1].State, s.Sources[1].Error = stats.SourceError, "input file gone"
	run(m, s)
	run(m, s)
	v := m.View()
	require.Contains(t, v, "scene BRB")
	require.Contains(t, v, "input file gone")
	require.Equal(t, 1, strings.Count(v, "10:00:00 mic: input file gone"), "a source error is logged once")
	s.Sources = append([]stats.Source(nil), s.Sources...) // a new snapshot, as the engine sends
	s.Sources[1].State, s.Sources[1].Error = stats.SourceEnded, ""
	run(m, s)
	require.Contains(t, m.View(), "mic: the input ended; holding the last picture")
}

func BenchmarkView(b *testing.B) {
	for _, bc := range []struct {
		name    string
		preview bool
	}{{"preview-off", false}, {"preview-on", true}} {
		b.Run(bc.name, func(b *testing.B) {
			f := &fakeController{levels: testLevels}
			m := New(f, Options{Preset: "demo", Scenes: []string{"Live", "Bars", "BRB"}, Preview: bc.preview,
				Destinations: []Destination{{Name: "out1", URL: "rtmp://127.0.0.1:1935/live/****"}}}, termenv.TrueColor)
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			m.Update(liveStats(stats.StateLive, ""))
			pic := colourBars()
			var seq uint64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// What one refresh tick does: new levels and, with the
				// preview on, a new picture half the time (5 of 10 ticks).
				seq++
				msg := tickMsg{at: t0.Add(time.Duration(i) * TickInterval), levels: slices.Clone(testLevels)}
				if bc.preview && i%2 == 0 {
					msg.picture, msg.seq = pic, seq
				}
				m.Update(msg)
				if len(m.View()) == 0 {
					b.Fatal("empty view")
				}
			}
		})
	}
}

// BenchmarkConsoleProcessCPU runs the whole console program (bubbletea
// event loop, renderer, terminal writes) against a fake engine that sends
// stats once a second and meters and pictures at the refresh rate, for 5 s
// of wall time per op, and reports the CPU this process used as a share of
// one core. Run with -benchtime=1x.
func BenchmarkConsoleProcessCPU(b *testing.B) {
	for _, bc := range []struct {
		name    string
		preview bool
	}{{"preview-off", false}, {"preview-on", true}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				f := &fakeController{pic: colourBars(), levels: testLevels, seqStep: true}
				m := New(f, Options{Preset: "demo", Scenes: []string{"Live", "Bars", "BRB"}, Preview: bc.preview,
					Destinations: []Destination{{Name: "out1", URL: "rtmp://127.0.0.1:1935/live/****"}}}, termenv.TrueColor)
				p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithFPS(10))
				go func() {
					p.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
					for range 5 {
						p.Send(liveStats(stats.StateLive, ""))
						time.Sleep(time.Second)
					}
					p.Quit()
				}()
				before, _ := procstat.Read()
				if _, err := p.Run(); err != nil {
					b.Fatal(err)
				}
				after, _ := procstat.Read()
				b.ReportMetric(procstat.CPUPercent(before, after), "cpu%")
			}
		})
	}
}

func TestTickLendsItsBuffers(t *testing.T) {
	m, _, _ := newTestModel(1)
	levels := append(make([]stats.AudioSource, 0, 8), testLevels...)
	_, cmd := m.Update(tickMsg{at: t0, levels: levels, picture: colourBars(), seq: 1})
	msg, ok := cmd().(tickMsg)
	require.True(t, ok)
	require.Equal(t, testLevels, msg.levels)
	require.Same(t, &levels[0], &msg.levels[0], "the meters' slice is lent back to the next reading")
}

func TestPreviewTitleFollowsStats(t *testing.T) {
	m, _, _ := newTestModel(1)
	run(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	run(m, tickMsg{at: t0, levels: slices.Clone(testLevels), picture: colourBars(), seq: 1})
	s := liveStats(stats.StateLive, "")
	run(m, s)
	require.Contains(t, m.View(), "Program 1280x720 30 fps")
	s.Video.FPS = 25
	run(m, s)
	require.Contains(t, m.View(), "Program 1280x720 25 fps", "the same picture under a new title")
}

func hintLine(m *Model) string { l := strings.Split(m.View(), "\n"); return l[len(l)-1] }

// a opens the prompt; the URL shows masked while typed; enter adds the
// whole URL; while typing no key is a command.
func TestAddDestinationPrompt(t *testing.T) {
	const url = "rtmp://live.example.com/app/live_123_SECRET?bw=1"
	m, f, _ := newTestModel(1)
	press(m, "s")
	run(m, liveStats(stats.StateLive, ""))
	press(m, "a")
	require.Contains(t, hintLine(m), "Add destination: ")
	for _, r := range url {
		press(m, string(r))
		require.NotContains(t, m.View(), "SECRET")
		require.NotContains(t, m.View(), "SEC")
	}
	require.Contains(t, hintLine(m), "Add destination: rtmp://live.example.com/app/****_")

	// Command keys are text now: nothing goes to the engine, nothing quits,
	// the focus stays.
	press(m, "q", "s", "r", "2", "m", "c", "p", "x", "?", "tab")
	run(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("s2r")}) // typed fast: text too
	require.Equal(t, []string{"GoLive"}, f.Calls())
	require.False(t, m.Quitting())
	require.False(t, m.showHelp)
	require.Equal(t, "Scenes", m.Focus())
	for range "qsr2mcpx?s2r" { // tab typed nothing
		press(m, "backspace")
	}

	press(m, "enter")
	require.Equal(t, []string{"GoLive", "AddDestination " + url}, f.Calls(), "the engine gets the URL unmasked")
	v := m.View()
	require.NotContains(t, v, "SECRET")
	require.NotContains(t, hintLine(m), "Add destination")
	require.Contains(t, v, "10:00:00 out2: added rtmp://live.example.com/app/****")
	require.Regexp(t, `out2 +connecting +rtmp://live`, v, "joins while live")

	// Esc cancels; the next prompt opens empty.
	press(m, "a", "r", "t", "esc")
	require.NotContains(t, hintLine(m), "Add destination")
	press(m, "a")
	require.Contains(t, hintLine(m), "Add destination: _")
	press(m, "enter") // nothing typed: nothing added
	require.Len(t, f.Calls(), 2)
	press(m, "r")
	require.Equal(t, "StartRecording", f.Calls()[2], "keys act again")
}

func TestAddDestinationErrorAndIdle(t *testing.T) {
	m, f, _ := newTestModel(0)
	f.addErr = errors.New("rtmp://h/****: malformed URL: no stream key")
	press(m, "a")
	for _, r := range "rtmp://h/KEY" {
		press(m, string(r))
	}
	press(m, "enter")
	v := m.View()
	require.Contains(t, strings.Split(v, "\n")[0], "add destination: rtmp://h/****: malform", "the header shows it")
	require.Contains(t, v, "10:00:00 add destination: rtmp://h/****: malformed URL")
	require.Contains(t, v, "no destination: press a", "nothing added")

	f.addErr = nil
	press(m, "a")
	run(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("rtmp://h/app/KEY"), Paste: true})
	press(m, "enter")
	require.Regexp(t, `out2 +ready +rtmp://h/app/\*\*\*\*`, m.View(), "not live: it waits for s")
	press(m, "s")
	require.Equal(t, []string{"AddDestination rtmp://h/KEY", "AddDestination rtmp://h/app/KEY", "GoLive"}, f.Calls())
}

// a and x do nothing while another question is open.
func TestAddRemoveWaitForOtherPrompts(t *testing.T) {
	m, f, _ := newTestModel(1)
	press(m, "s", "s")
	require.Contains(t, hintLine(m), "Stop streaming? (y/n)")
	press(m, "a", "x")
	require.Contains(t, hintLine(m), "Stop streaming? (y/n)")
	press(m, "n", "?", "a")
	require.NotContains(t, hintLine(m), "Add destination")
	require.Equal(t, []string{"GoLive"}, f.Calls())
}

// x asks about the destination selected in the Outputs panel; y removes
// it, n keeps it.
func TestRemoveDestinationConfirm(t *testing.T) {
	m, f, _ := newTestModel(2)
	press(m, "s")
	run(m, liveStats(stats.StateLive, ""))
	press(m, "x")
	require.NotContains(t, hintLine(m), "Remove", "x acts only in the Outputs panel")
	require.Contains(t, m.View(), "x removes the destination selected in Outputs")

	press(m, "tab", "tab", "tab")
	require.Equal(t, "Outputs", m.Focus())
	require.Contains(t, hintLine(m), "a add • x remove")
	press(m, "down", "down") // past the last: stays on out2
	press(m, "x")
	require.Contains(t, hintLine(m), "Remove out2 (rtmp://127.0.0.1:1935/live/****)? (y/n)")
	press(m, "n")
	require.NotContains(t, hintLine(m), "Remove")
	require.Equal(t, []string{"GoLive"}, f.Calls())

	// y: the row says so until the engine answers (it drains up to 5 s).
	press(m, "x")
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	require.Regexp(t, `out2 +removing`, m.View())
	press(m, "x") // already going
	require.NotContains(t, hintLine(m), "Remove")
	for _, msg := range runCmd(cmd) {
		run(m, msg)
	}
	require.Equal(t, []string{"GoLive", "RemoveDestination out2"}, f.Calls())
	v := m.View()
	require.NotRegexp(t, `out2 +(live|connecting|removing)`, v)
	require.Contains(t, v, "10:00:00 out2: removed")
	require.Regexp(t, `out1 +live`, v)

	// The selection follows: x now asks about out1.
	press(m, "x")
	require.Contains(t, hintLine(m), "Remove out1 (")
	press(m, "y")
	require.Contains(t, m.View(), "no destination: press a")
	press(m, "x")
	require.Contains(t, m.View(), "no destination to remove")
	require.Equal(t, []string{"GoLive", "RemoveDestination out2", "RemoveDestination out1"}, f.Calls())
}

// The Outputs panel notes the encoder's target while adaptive bitrate
// holds it below the preset's bitrate.
func TestAdaptiveTargetShown(t *testing.T) {
	m, _, _ := newTestModel(1)
	press(m, "s")
	for _, tc := range []struct {
		target float64
		note   string
	}{
		{0, ""}, {2500, ""}, {1800, "─ Outputs · target 1800k of 2500k (adaptive) ─"}, {900, "target 900k of 2500k"}, {2500, ""},
	} {
		s := liveStats(stats.StateLive, "")
		s.Video.TargetKbps = tc.target
		run(m, s)
		v := m.View()
		if tc.note == "" {
			require.NotContains(t, v, "target", tc.target)
			require.Contains(t, v, "─ Outputs ─")
		} else {
			require.Contains(t, v, tc.note)
		}
	}
	m.opts.VideoKbps = 0 // preset bitrate unknown: nothing to compare with
	s := liveStats(stats.StateLive, "")
	s.Video.TargetKbps = 1800
	run(m, s)
	require.NotContains(t, m.View(), "target")
}
