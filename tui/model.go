package tui

import (
	"fmt"
	"image"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"studio/pipeline/stats"
	"studio/presets"
	"studio/tui/common"
	"studio/tui/components/header"
	"studio/tui/components/logpane"
	"studio/tui/components/mixer"
	"studio/tui/components/outputs"
	"studio/tui/components/preview"
	"studio/tui/components/prompt"
	"studio/tui/components/scenes"
	"studio/tui/components/sources"
)

// TickInterval is how often meters and the preview refresh: the console
// redraws at most ten times a second.
const TickInterval = 100 * time.Millisecond

// errorShownFor is how long an error stays in the header.
const errorShownFor = 15 * time.Second

// Panels that take the focus, in tab order.
type panel int

const (
	panelScenes panel = iota
	panelSources
	panelMixer
	panelOutputs
	panelCount
)

var panelNames = [...]string{"Scenes", "Sources", "Audio", "Outputs"}

// Model is the console's root model.
type Model struct {
	ctx  *common.Context
	ctrl Controller
	opts Options
	keys KeyMap
	help help.Model
	now  func() time.Time

	showHelp  bool
	stats     stats.Stats
	haveStats bool
	// The latest stats' outputs, split once per snapshot: the streams and
	// the recording.
	streams  []stats.Output
	recOut   stats.Output
	haveRec  bool
	rowsBuf  []outputs.Row // outputRows' slice, reused each frame
	levelBuf []stats.AudioSource

	live, goingLive bool
	liveSince       time.Time
	recording       bool
	recSince        time.Time
	recPath         string
	engineDone      bool

	activeScene int
	sceneSel    int
	sourceSel   int
	outSel      int
	focus       panel

	mixer mixer.Model
	// faders hold what the streamer asked of each audio row (gain, mute):
	// the meters' readings lag a tick behind, and a second + pressed before
	// the engine answered must build on the first.
	faders  map[string]*stats.AudioSource
	outputs outputs.Model
	// targetNote is the Outputs panel's note while adaptive bitrate holds
	// the encoder below the preset's bitrate, made once per snapshot.
	targetNote string
	// removing: destinations asked to stop, until the engine answers.
	removing map[string]bool
	log      logpane.Model
	lastErr  string
	errAt    time.Time

	// filterAsks hold what the streamer asked of filters whose calls have
	// not answered yet: a second ] pressed before the first's answer builds
	// on it. filterQ hands the calls to the engine in key order.
	filterAsks map[filterKey]*filterAsk
	filterQ    *filterQueue

	previewOn  bool
	pic, spare *image.RGBA
	picSeq     uint64
	renderer   preview.Renderer
	// The preview panel, kept until the picture, its size or its title
	// changes; the rendered picture alone survives a new title.
	picLines    []string
	picCacheKey [3]uint64
	picPanel    []string
	panelKey    panelKey

	hints      string // the short help line, kept for its width and panel
	hintsWidth int
	hintsFor   panel // the panel whose hints they are

	add     prompt.Model // "Add destination: ", open while typing
	confirm *confirmation
	quit    bool
}

// panelKey says what a cached preview panel was drawn from.
type panelKey struct {
	seq   uint64
	w, h  int
	title string
}

// confirmation is a y/n question in the hint bar.
type confirmation struct {
	prompt string
	yes    tea.Cmd
	// onYes, if set, runs on the event loop when the answer is yes.
	onYes func()
	// force: a second ctrl+c quits at once.
	force bool
}

// New makes the console for ctrl, drawing with the given colour profile
// (termenv.TrueColor in a modern terminal; tests use Ascii).
func New(ctrl Controller, opts Options, profile termenv.Profile) *Model {
	ctx := common.NewContext(profile)
	h := help.New()
	h.Styles.ShortKey = ctx.Styles.Key
	h.Styles.FullKey = ctx.Styles.Key
	h.Styles.ShortDesc = ctx.Styles.Dim
	h.Styles.FullDesc = ctx.Styles.Dim
	h.Styles.ShortSeparator = ctx.Styles.Rule
	h.Styles.FullSeparator = ctx.Styles.Rule
	// Destinations come and go (a, x): the list is the model's own.
	opts.Destinations = slices.Clone(opts.Destinations)
	return &Model{ctx: ctx, ctrl: ctrl, opts: opts, keys: DefaultKeys, help: h, now: time.Now,
		previewOn: opts.Preview, focus: panelScenes, add: prompt.New("Add destination: "), filterQ: &filterQueue{}}
}

// SetClock replaces the clock (tests use a fixed one).
func (m *Model) SetClock(now func() time.Time) { m.now = now }

// Init starts the refresh tick and sets the preview.
func (m *Model) Init() tea.Cmd {
	ctrl, on := m.ctrl, m.previewOn
	return tea.Batch(func() tea.Msg { ctrl.SetPreview(on); return nil }, m.tick())
}

// tick fetches meters and the picture off the event loop.
func (m *Model) tick() tea.Cmd {
	ctrl, on, spare, since, levels := m.ctrl, m.previewOn, m.spare, m.picSeq, m.levelBuf
	// Lent to the command until its message comes back.
	m.spare, m.levelBuf = nil, nil
	return tea.Tick(TickInterval, func(at time.Time) tea.Msg {
		msg := tickMsg{at: at, levels: ctrl.Levels(levels), picture: spare}
		if on {
			msg.picture, msg.seq = ctrl.Preview(spare, since)
		}
		return msg
	})
}

// Quitting says whether the user asked to quit.
func (m *Model) Quitting() bool { return m.quit }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.Width, m.ctx.Height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, nil
	case StatsMsg:
		m.onStats(stats.Stats(msg))
		return m, nil
	case LogMsg:
		m.addLog(msg.Time, msg.Level, msg.Text)
		return m, nil
	case EngineDoneMsg:
		m.engineDone = true
		if msg.Err != nil {
			m.addLog(m.now(), logpane.Error, "engine stopped: "+msg.Err.Error())
		} else {
			m.addLog(m.now(), logpane.Warn, "the program ended (input finished); press q to quit")
		}
		return m, nil
	case tickMsg:
		m.mixer.SetLevels(msg.levels, msg.at) // copies the levels
		m.levelBuf = msg.levels
		if msg.seq != 0 && msg.seq != m.picSeq {
			m.spare, m.pic, m.picSeq = m.pic, msg.picture, msg.seq
		} else {
			m.spare = msg.picture
		}
		if m.quit {
			return m, nil
		}
		return m, m.tick()
	case resultMsg:
		return m, m.onResult(msg)
	case quitMsg:
		m.quit = true
		return m, tea.Quit
	case tea.KeyMsg:
		if m.add.IsOpen() {
			// Typing a URL: every key is text (or enter/esc), none a command.
			return m, m.onPromptKey(msg)
		}
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			// Keys typed faster than the terminal is read arrive as one
			// message ("s2r"); each is a command of its own.
			var cmds []tea.Cmd
			for _, r := range msg.Runes {
				cmds = append(cmds, m.onKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}))
			}
			return m, tea.Batch(cmds...)
		}
		return m, m.onKey(msg)
	}
	return m, nil
}

func (m *Model) onStats(s stats.Stats) {
	prev := m.stats
	m.stats, m.haveStats = s, true
	if t := s.Video.TargetKbps; t > 0 && t < m.opts.VideoKbps {
		m.targetNote = fmt.Sprintf("target %.0fk of %.0fk (adaptive)", t, m.opts.VideoKbps)
	} else {
		m.targetNote = ""
	}
	m.outputs.Observe(s)
	m.sourceSel = clamp(m.sourceSel, 0, max(m.sourceRows()-1, 0))
	m.streams, m.haveRec = m.streams[:0], false
	for _, o := range s.Outputs {
		if o.Name == stats.RecordingName {
			m.recOut, m.haveRec = o, true
		} else {
			m.streams = append(m.streams, o)
		}
	}
	if s.Scene != "" {
		for i, n := range s.Scenes {
			if n == s.Scene && i != m.activeScene && prev.Scene != s.Scene {
				m.activeScene = i
			}
		}
	}
	for _, src := range s.Sources {
		if sourceState(prev, src.Name) == src.State {
			continue
		}
		switch src.State {
		case stats.SourceError:
			m.addLog(m.now(), logpane.Error, src.Name+": "+src.Error+"; holding the last picture (switch scenes with 1-9)")
		case stats.SourceEnded:
			m.addLog(m.now(), logpane.Warn, src.Name+": the input ended; holding the last picture (switch scenes with 1-9)")
		}
	}
}

func sourceState(s stats.Stats, name string) string {
	for _, src := range s.Sources {
		if src.Name == name {
			return src.State
		}
	}
	return ""
}

func (m *Model) addLog(at time.Time, level, text string) {
	m.log.Add(logpane.Entry{Time: at, Level: level, Text: text})
	if level == logpane.Error {
		m.lastErr, m.errAt = text, at
	}
}

func (m *Model) onResult(r resultMsg) tea.Cmd {
	if r.err != nil {
		m.addLog(r.at, logpane.Error, resultVerb[r.action]+": "+r.err.Error())
	}
	switch r.action {
	case "live":
		m.goingLive = false
		if r.err == nil {
			m.live, m.liveSince = true, r.at
			m.addLog(r.at, logpane.Info, "going live to "+m.destList())
		}
	case "stop":
		if r.err == nil || !m.live {
			m.live = false
			m.addLog(r.at, logpane.Info, "stream stopped")
			for _, d := range m.opts.Destinations {
				m.outputs.Forget(d.Name)
			}
		}
	case "record":
		if r.err == nil {
			m.recording, m.recSince, m.recPath = true, r.at, r.path
			m.addLog(r.at, logpane.Info, "recording to "+r.path)
		}
	case "stoprecord":
		m.recording = false
		m.outputs.Forget(stats.RecordingName)
		if r.path != "" {
			m.addLog(r.at, logpane.Info, fmt.Sprintf("recording saved: %s (%s)", r.path, outputs.FormatBytes(r.bytes)))
		}
	case "reconnect":
		if r.err == nil {
			m.addLog(r.at, logpane.Info, "reconnecting now")
		}
	case "add":
		if r.err == nil {
			m.opts.Destinations = append(m.opts.Destinations, Destination{Name: r.name, URL: r.url})
			m.addLog(r.at, logpane.Info, r.name+": added "+r.url)
		}
	case "filter":
		m.onFilters(r)
	case "remove":
		delete(m.removing, r.name)
		if r.err == nil {
			m.opts.Destinations = slices.DeleteFunc(m.opts.Destinations, func(d Destination) bool { return d.Name == r.name })
			m.outputs.Forget(r.name)
			m.outSel = clamp(m.outSel, 0, len(m.opts.Destinations)-1)
			m.addLog(r.at, logpane.Info, r.name+": removed")
		}
	}
	return nil
}

var resultVerb = map[string]string{
	"live": "go live", "stop": "stop streaming", "record": "record", "stoprecord": "stop recording",
	"scene": "switch scene", "mute": "mute", "gain": "gain", "reconnect": "reconnect",
	"add": "add destination", "remove": "remove destination",
}

func (m *Model) destList() string {
	var urls []string
	for _, d := range m.opts.Destinations {
		urls = append(urls, d.URL)
	}
	return strings.Join(urls, ", ")
}

// call runs a control call off the event loop and reports its result.
func (m *Model) call(action string, f func(r *resultMsg) error) tea.Cmd {
	now := m.now
	return func() tea.Msg {
		r := resultMsg{action: action}
		r.err = f(&r)
		r.at = now()
		return r
	}
}

func (m *Model) onKey(k tea.KeyMsg) tea.Cmd {
	if c := m.confirm; c != nil {
		switch {
		case key.Matches(k, m.keys.Yes):
			m.confirm = nil
			if c.onYes != nil {
				c.onYes()
			}
			return c.yes
		case k.String() == "ctrl+c" && c.force:
			m.quit = true
			return tea.Quit
		case key.Matches(k, m.keys.No), key.Matches(k, m.keys.Quit):
			m.confirm = nil
		}
		return nil
	}
	if m.showHelp && !key.Matches(k, m.keys.Quit) {
		if key.Matches(k, m.keys.Help) || k.String() == "esc" {
			m.showHelp = false
		}
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		if m.live || m.goingLive || m.recording {
			what := "streaming"
			switch {
			case (m.live || m.goingLive) && m.recording:
				what = "streaming and recording"
			case m.recording:
				what = "recording"
			}
			m.confirm = &confirmation{prompt: "Stop " + what + " and quit? (y/n)", yes: m.quitCmd(), force: k.String() == "ctrl+c"}
			return nil
		}
		return m.quitCmd()
	case key.Matches(k, m.keys.Help):
		m.showHelp = true
	case key.Matches(k, m.keys.Live):
		return m.toggleLive()
	case key.Matches(k, m.keys.Record):
		return m.toggleRecord()
	case key.Matches(k, m.keys.Scene):
		return m.switchScene(int(k.Runes[0] - '1'))
	case key.Matches(k, m.keys.Enter):
		if m.focus == panelScenes {
			return m.switchScene(m.sceneSel)
		}
	case key.Matches(k, m.keys.Next), key.Matches(k, m.keys.Right):
		m.focus = (m.focus + 1) % panelCount
	case key.Matches(k, m.keys.Prev), key.Matches(k, m.keys.Left):
		m.focus = (m.focus + panelCount - 1) % panelCount
	case key.Matches(k, m.keys.Up):
		m.move(-1)
	case key.Matches(k, m.keys.Down):
		m.move(1)
	case key.Matches(k, m.keys.Mute):
		return m.toggleMute()
	case key.Matches(k, m.keys.GainUp):
		return m.changeGain(1)
	case key.Matches(k, m.keys.GainDown):
		return m.changeGain(-1)
	case key.Matches(k, m.keys.Preview):
		m.previewOn = !m.previewOn
		on, ctrl := m.previewOn, m.ctrl
		return func() tea.Msg { ctrl.SetPreview(on); return nil }
	case key.Matches(k, m.keys.Reconnect):
		if !m.live {
			m.addLog(m.now(), logpane.Warn, "not live: nothing to reconnect (press s to go live)")
			return nil
		}
		return m.call("reconnect", func(*resultMsg) error { return m.ctrl.Reconnect() })
	case key.Matches(k, m.keys.Add):
		if m.engineDone {
			m.addLog(m.now(), logpane.Warn, "the program has stopped; restart studio to add a destination")
			return nil
		}
		m.add.Open()
	case key.Matches(k, m.keys.Remove):
		m.askRemove()
	case key.Matches(k, m.keys.Beauty):
		return m.toggleFilter(stats.FilterBeauty)
	case key.Matches(k, m.keys.Watermark):
		return m.toggleFilter(stats.FilterWatermark)
	case key.Matches(k, m.keys.Denoise):
		return m.toggleDenoise()
	case key.Matches(k, m.keys.Weaker):
		return m.changeBeauty(false)
	case key.Matches(k, m.keys.Stronger):
		return m.changeBeauty(true)
	}
	return nil
}

// onPromptKey edits the URL being typed; enter adds it.
func (m *Model) onPromptKey(k tea.KeyMsg) tea.Cmd {
	url, done := m.add.Update(k)
	if !done || url == "" {
		return nil
	}
	ctrl, masked := m.ctrl, presets.MaskTyped(url)
	return m.call("add", func(r *resultMsg) (err error) {
		r.url = masked
		r.name, err = ctrl.AddDestination("", url)
		return err
	})
}

// askRemove asks before removing the destination selected in the Outputs
// panel.
func (m *Model) askRemove() {
	switch {
	case m.focus != panelOutputs:
		m.addLog(m.now(), logpane.Info, "x removes the destination selected in Outputs: tab to it, then x")
		return
	case len(m.opts.Destinations) == 0:
		m.addLog(m.now(), logpane.Warn, "no destination to remove (a adds one)")
		return
	}
	d := m.opts.Destinations[clamp(m.outSel, 0, len(m.opts.Destinations)-1)]
	if m.removing[d.Name] {
		return
	}
	name, ctrl := d.Name, m.ctrl
	m.confirm = &confirmation{prompt: "Remove " + name + " (" + d.URL + ")? (y/n)",
		onYes: func() {
			if m.removing == nil {
				m.removing = map[string]bool{}
			}
			m.removing[name] = true
		},
		yes: m.call("remove", func(r *resultMsg) error {
			r.name = name
			return ctrl.RemoveDestination(name)
		})}
}

// quitMsg asks the console to end; the command line then stops the engine
// cleanly (streams drained, recording closed).
type quitMsg struct{}

func (m *Model) quitCmd() tea.Cmd {
	return func() tea.Msg { return quitMsg{} }
}

func (m *Model) toggleLive() tea.Cmd {
	ctrl := m.ctrl
	switch {
	case m.engineDone:
		m.addLog(m.now(), logpane.Warn, "the program has stopped; restart studio to go live")
		return nil
	case m.live:
		m.confirm = &confirmation{prompt: "Stop streaming? (y/n)",
			yes: m.call("stop", func(*resultMsg) error { return ctrl.StopLive() })}
		return nil
	case m.goingLive:
		return nil
	case len(m.opts.Destinations) == 0:
		m.addLog(m.now(), logpane.Warn, "no destination: press a to add rtmp://HOST/APP/KEY (or start studio with --to URL, or add outputs: to the preset)")
		if m.recording {
			return nil
		}
		m.confirm = &confirmation{prompt: "No destination to go live to. Record locally instead? (y/n)", yes: m.startRecording()}
		return nil
	}
	m.goingLive = true
	return m.call("live", func(*resultMsg) error { return ctrl.GoLive() })
}

func (m *Model) startRecording() tea.Cmd {
	ctrl := m.ctrl
	return m.call("record", func(r *resultMsg) (err error) {
		r.path, err = ctrl.StartRecording()
		return err
	})
}

func (m *Model) toggleRecord() tea.Cmd {
	if m.recording {
		ctrl := m.ctrl
		return m.call("stoprecord", func(r *resultMsg) (err error) {
			r.path, r.bytes, err = ctrl.StopRecording()
			return err
		})
	}
	if m.engineDone {
		m.addLog(m.now(), logpane.Warn, "the program has stopped; restart studio to record")
		return nil
	}
	return m.startRecording()
}

func (m *Model) switchScene(i int) tea.Cmd {
	if i < 0 || i >= len(m.opts.Scenes) {
		return nil
	}
	m.activeScene, m.sceneSel = i, i
	ctrl := m.ctrl
	return m.call("scene", func(*resultMsg) error { return ctrl.SwitchScene(i) })
}

func (m *Model) move(d int) {
	switch m.focus {
	case panelScenes:
		m.sceneSel = clamp(m.sceneSel+d, 0, len(m.opts.Scenes)-1)
	case panelSources:
		m.sourceSel = clamp(m.sourceSel+d, 0, m.sourceRows()-1)
		// The mixer follows: m and +/- act on the source under the cursor.
		if m.sourceSel < len(m.stats.Sources) {
			for i, r := range m.mixer.Rows {
				if r.Name == m.stats.Sources[m.sourceSel].Name {
					m.mixer.Selected = i
				}
			}
		}
	case panelMixer:
		m.mixer.Move(d)
	case panelOutputs:
		m.outSel = clamp(m.outSel+d, 0, len(m.opts.Destinations)-1)
	}
}

// sourceRows is how many rows the Sources panel has: the sources, then the
// program's when it has filters.
func (m *Model) sourceRows() int {
	n := len(m.stats.Sources)
	if len(m.stats.ProgramFilters) > 0 {
		n++
	}
	return n
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// asked returns what the streamer has asked of the selected audio row
// (starting from the row's reading), or nil when no row is selected.
func (m *Model) asked() *stats.AudioSource {
	name := m.mixer.SelectedName()
	if name == "" {
		return nil
	}
	if m.faders == nil {
		m.faders = map[string]*stats.AudioSource{}
	}
	if m.faders[name] == nil {
		r := m.mixer.Rows[m.mixer.Selected]
		m.faders[name] = &r
	}
	return m.faders[name]
}

func (m *Model) toggleMute() tea.Cmd {
	a := m.asked()
	if a == nil {
		return nil
	}
	a.Muted = !a.Muted
	m.mixer.Rows[m.mixer.Selected].Muted = a.Muted
	name, muted, ctrl := a.Name, a.Muted, m.ctrl
	return m.call("mute", func(*resultMsg) error { return ctrl.SetMute(name, muted) })
}

func (m *Model) changeGain(d float64) tea.Cmd {
	a := m.asked()
	if a == nil {
		return nil
	}
	a.GainDB = min(max(a.GainDB+d, stats.MinGainDB), stats.MaxGainDB)
	m.mixer.Rows[m.mixer.Selected].GainDB = a.GainDB
	name, db, ctrl := a.Name, a.GainDB, m.ctrl
	return m.call("gain", func(*resultMsg) error { return ctrl.SetGain(name, db) })
}

// State is the header state now.
func (m *Model) State() string {
	if m.engineDone {
		return header.Stopped
	}
	if !m.live {
		return header.Ready
	}
	var live, waiting, failed, connecting int
	for _, o := range m.streams {
		switch o.State {
		case stats.StateLive:
			live++
		case stats.StateReconnecting:
			waiting++
		case stats.StateConnecting:
			connecting++
		case stats.StateFailed:
			failed++
		}
	}
	switch {
	case live > 0 && waiting == 0:
		return header.Live
	case waiting > 0:
		return header.Reconnecting
	case connecting > 0 || live+failed == 0:
		return header.Connecting
	}
	return header.Failed
}

func (m *Model) headerError() string {
	if m.live {
		for _, o := range m.streams {
			if (o.State == stats.StateFailed || o.State == stats.StateReconnecting) && o.LastError != "" {
				return o.Name + ": " + o.LastError
			}
		}
	}
	if m.lastErr != "" && m.now().Sub(m.errAt) < errorShownFor {
		return m.lastErr
	}
	return ""
}

// View implements tea.Model.
func (m *Model) View() string {
	w, h := m.ctx.Width, m.ctx.Height
	if w <= 0 || h <= 0 {
		return "starting studio…"
	}
	now := m.now()
	info := header.Info{Preset: m.opts.Preset, State: m.State(), CPU: -1, Error: m.headerError()}
	if info.State == header.Live {
		info.LiveFor = stats.Clock(now.Sub(m.liveSince))
	}
	if m.recording {
		info.Recording, info.RecFor = true, stats.Clock(now.Sub(m.recSince))
	}
	if m.activeScene < len(m.opts.Scenes) {
		info.Scene = m.opts.Scenes[m.activeScene]
	}
	if m.haveStats {
		info.CPU = m.stats.Process.CPUPercent
	}
	lines := make([]string, 0, h)
	lines = append(lines, header.View(m.ctx, info, w))
	if h > 2 {
		lines = append(lines, m.body(w, h-2)...)
	}
	if h > 1 {
		lines = append(lines, m.hintBar(w))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) hintBar(w int) string {
	if m.add.IsOpen() {
		return m.add.View(m.ctx, w)
	}
	if m.confirm != nil {
		return common.Fit(m.ctx.Styles.Prompt.Render(" "+m.confirm.prompt+" "), w)
	}
	if m.showHelp {
		return common.Fit(m.ctx.Styles.Dim.Render(" ? or esc closes help"), w)
	}
	if m.hints == "" || m.hintsWidth != w || m.hintsFor != m.focus {
		var keys []key.Binding
		switch m.focus {
		case panelOutputs:
			keys = m.keys.OutputsHelp()
		case panelSources:
			keys = m.keys.SourcesHelp()
		default:
			keys = m.keys.ShortHelp()
		}
		m.hints, m.hintsWidth, m.hintsFor = common.Fit(" "+m.help.ShortHelpView(keys), w), w, m.focus
	}
	return m.hints
}

// body lays the panels out in w×h. Wide terminals put the preview beside a
// column of scenes, sources and audio; outputs and the log run full width
// below. Short terminals drop the log first, then sources, then scenes;
// narrow ones drop the preview. Every line is exactly w wide.
func (m *Model) body(w, h int) []string {
	if m.showHelp {
		return common.Block(strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n"), w, h)
	}
	scenesH := len(m.opts.Scenes) + 1
	sourcesH := max(m.sourceRows(), 1) + 1
	mixerH := m.mixer.Height()
	rows := m.outputRows()
	outputsH := max(len(rows), 1) + 2
	showScenes, showSources := true, true
	colH := func() int {
		n := mixerH
		if showScenes {
			n += scenesH
		}
		if showSources {
			n += sourcesH
		}
		return n
	}
	const logMin = 3
	if colH()+outputsH > h {
		showSources = false
	}
	if colH()+outputsH > h {
		showScenes = false
	}
	if colH()+outputsH > h {
		mixerH = max(h-outputsH, 2)
		outputsH = min(outputsH, h-mixerH)
	}
	topH := colH()
	logH := h - topH - outputsH
	if logH < logMin {
		logH = 0
	}

	var top []string
	if m.previewOn && w >= 70 {
		rightW := clamp(w*4/10, 40, 56)
		leftW := w - rightW - 1
		iw, ih := 16, 9
		if m.pic != nil {
			iw, ih = m.pic.Rect.Dx(), m.pic.Rect.Dy()
		}
		_, ph := preview.Fit(iw, ih, leftW, h)
		want := (ph+1)/2 + 1
		if extra := want - topH; extra > 0 && logH > 0 {
			grow := min(extra, logH-logMin)
			topH += grow
			logH -= grow
		}
		top = common.SideBySide(1, m.previewPanel(leftW, topH), m.column(rightW, topH, showScenes, showSources, mixerH))
	} else {
		top = m.column(w, topH, showScenes, showSources, mixerH)
	}
	out := append(top, m.outputsPanel(rows, w, outputsH)...)
	if logH > 0 {
		out = append(out, m.log.View(m.ctx, w, h-len(out))...)
	}
	return common.Rows(out, w, h)
}

func (m *Model) column(w, h int, showScenes, showSources bool, mixerH int) []string {
	var col []string
	if showScenes {
		col = append(col, scenes.View(m.ctx, m.opts.Scenes, m.activeScene, m.sceneSel, m.focus == panelScenes, w, len(m.opts.Scenes)+1)...)
	}
	if showSources {
		col = append(col, sources.View(m.ctx, m.stats.Sources, m.stats.ProgramFilters, m.sourceSel, m.focus == panelSources,
			w, max(m.sourceRows(), 1)+1)...)
	}
	col = append(col, m.mixer.View(m.ctx, w, mixerH, m.focus == panelMixer)...)
	return common.Rows(col, w, h)
}

func (m *Model) previewPanel(w, h int) []string {
	title := "Program"
	if m.haveStats {
		title = fmt.Sprintf("Program %dx%d %.0f fps", m.stats.Video.Width, m.stats.Video.Height, m.stats.Video.FPS)
	}
	if m.pic == nil {
		return m.ctx.Panel(title, false, w, h, []string{m.ctx.Styles.Dim.Render("waiting for the picture…")})
	}
	key := panelKey{seq: m.picSeq, w: w, h: h, title: title}
	if m.picPanel != nil && key == m.panelKey {
		return m.picPanel
	}
	if lk := [3]uint64{m.picSeq, uint64(w), uint64(h)}; lk != m.picCacheKey {
		m.picLines = strings.Split(m.renderer.Render(m.pic, w, h-1, m.ctx.Profile), "\n")
		m.picCacheKey = lk
	}
	m.picPanel, m.panelKey = m.ctx.Panel(title, false, w, h, m.picLines), key
	return m.picPanel
}

// outputRows are the destinations' rows: idle before going live, then
// each with its latest stats (connecting until its first).
func (m *Model) outputRows() []outputs.Row {
	rows := m.rowsBuf[:0]
	for _, d := range m.opts.Destinations {
		r := outputs.Row{Out: stats.Output{Name: d.Name, URL: d.URL}, Idle: !m.live, Removing: m.removing[d.Name]}
		if m.live {
			r.Out.State = stats.StateConnecting
			for _, o := range m.streams {
				if o.Name == d.Name {
					r.Out = o
					break
				}
			}
		}
		rows = append(rows, r)
	}
	m.rowsBuf = rows
	return rows
}

func (m *Model) outputsPanel(rows []outputs.Row, w, h int) []string {
	rec := outputs.Recording{On: m.recording, Path: m.recPath}
	if m.recording {
		rec.Elapsed = stats.Clock(m.now().Sub(m.recSince))
		if m.haveRec {
			rec.Bytes, rec.State = m.recOut.BytesSent, m.recOut.State
		}
	}
	return m.outputs.View(m.ctx, rows, rec, m.targetNote, m.outSel, m.focus == panelOutputs, w, h)
}

// Focus names the focused panel by its title (tests use it).
func (m *Model) Focus() string { return panelNames[m.focus] }
