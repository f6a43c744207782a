package tui

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	tea "github.com/charmbracelet/bubbletea"

	"studio/pipeline/stats"
	"studio/tui/components/logpane"
)

// Live filter control (b, w, n, [, ]). The keys act on the row selected in
// the Sources panel, whatever panel has the focus (as m and +/- act on the
// mixer's selection): a source, or the program's own filters, the panel's
// last row while it has any. That row is marked ▶, and every change is
// logged with the source's name. A change shows as soon as the engine
// accepts it; the next stats snapshot is the truth.

// filterKey names one filter of one source (or of the program).
type filterKey struct{ source, filter string }

// filterAsk is what the streamer last asked of a filter, and how many
// calls for it have not answered yet.
type filterAsk struct {
	f     stats.Filter
	calls int
}

// filterCall is one SetFilter call (f.On), or SetFilterStrength
// (f.Strength) when strength is set, and its outcome. f is the whole state
// asked, shown once the engine accepts it.
type filterCall struct {
	source   string
	f        stats.Filter
	strength bool
	err      error
}

// filterTarget is the row the filter keys act on: its name (a source's, or
// stats.ProgramName) and its filters as the latest snapshot lists them. It
// logs why there is none.
func (m *Model) filterTarget() (string, []stats.Filter, bool) {
	if m.engineDone {
		m.addLog(m.now(), logpane.Warn, "the program has stopped; restart studio to change filters")
		return "", nil, false
	}
	switch n := len(m.stats.Sources); {
	case m.sourceSel < n:
		s := m.stats.Sources[m.sourceSel]
		return s.Name, s.Filters, true
	case m.sourceSel == n && len(m.stats.ProgramFilters) > 0:
		return stats.ProgramName, m.stats.ProgramFilters, true
	}
	m.addLog(m.now(), logpane.Warn, "no source yet: filters act on the source selected in Sources")
	return "", nil, false
}

// filterNow is a filter's state as the console knows it: what was last
// asked while its calls are out, else what listed (the snapshot, with what
// the engine accepted since) says. have is false when the source has no
// such filter.
func (m *Model) filterNow(source string, listed []stats.Filter, name string) (f stats.Filter, have bool) {
	if a := m.filterAsks[filterKey{source, name}]; a != nil {
		return a.f, true
	}
	for _, f := range listed {
		if f.Name == name {
			return f, true
		}
	}
	return stats.Filter{Name: name}, false
}

// toggleFilter turns beauty or the watermark on or off. One the source does
// not have is turned on: the engine makes beauty at 0.5, and refuses a
// watermark the preset does not configure (the log shows why).
func (m *Model) toggleFilter(name string) tea.Cmd {
	src, listed, ok := m.filterTarget()
	if !ok {
		return nil
	}
	f, have := m.filterNow(src, listed, name)
	f.On = !f.On
	if !have && name == stats.FilterBeauty {
		f.Strength = stats.DefaultStrength
	}
	return m.setFilters(filterCall{source: src, f: f})
}

// toggleDenoise turns video denoise and, when the source has it, audio
// denoise to the same new state: on unless either is on.
func (m *Model) toggleDenoise() tea.Cmd {
	src, listed, ok := m.filterTarget()
	if !ok {
		return nil
	}
	v, haveV := m.filterNow(src, listed, stats.FilterDenoise)
	a, haveA := m.filterNow(src, listed, stats.FilterAudioDenoise)
	on := !v.On && !a.On
	var calls []filterCall
	if haveV || on { // no call to turn off a denoise that was never made
		if !haveV {
			v.Strength = stats.DefaultStrength
		}
		v.On = on
		calls = append(calls, filterCall{source: src, f: v})
	}
	if haveA {
		a.On = on
		calls = append(calls, filterCall{source: src, f: a})
	}
	return m.setFilters(calls...)
}

// changeBeauty moves beauty's strength to the next tenth up (up) or down,
// within 0..1 (0.55 goes to 0.6 or 0.5). It acts on beauty that is on:
// moving a strength nobody sees would surprise.
func (m *Model) changeBeauty(up bool) tea.Cmd {
	src, listed, ok := m.filterTarget()
	if !ok {
		return nil
	}
	f, have := m.filterNow(src, listed, stats.FilterBeauty)
	if !have || !f.On {
		m.addLog(m.now(), logpane.Info, src+": beauty is off; b turns it on first, then [ and ] set its strength")
		return nil
	}
	const eps = 1e-6 // 0.7 is 6.999… tenths
	t := math.Ceil(f.Strength*10-eps) - 1
	if up {
		t = math.Floor(f.Strength*10+eps) + 1
	}
	v := min(max(t, 0), 10) / 10
	if v == f.Strength {
		m.addLog(m.now(), logpane.Info, src+": beauty is already at "+strconv.FormatFloat(v, 'f', 1, 64))
		return nil
	}
	f.Strength = v
	return m.setFilters(filterCall{source: src, f: f, strength: true})
}

// filterQueue hands filter calls to the engine in key order: commands run
// in goroutines of their own, in any order, so each takes whatever calls
// are waiting, oldest first, one command at a time.
type filterQueue struct {
	calling sync.Mutex // held while calling the engine
	mu      sync.Mutex // guards pending
	pending []filterCall
}

func (q *filterQueue) push(calls []filterCall) {
	q.mu.Lock()
	q.pending = append(q.pending, calls...)
	q.mu.Unlock()
}

// run makes the waiting calls and returns them with their outcomes (none
// when an earlier command took them).
func (q *filterQueue) run(ctrl Controller) []filterCall {
	q.calling.Lock()
	defer q.calling.Unlock()
	q.mu.Lock()
	calls := q.pending
	q.pending = nil
	q.mu.Unlock()
	for i := range calls {
		c := &calls[i]
		if c.strength {
			c.err = ctrl.SetFilterStrength(c.source, c.f.Name, c.f.Strength)
		} else {
			c.err = ctrl.SetFilter(c.source, c.f.Name, c.f.On)
		}
	}
	return calls
}

// setFilters makes the calls off the event loop, after the filter calls
// asked before them.
func (m *Model) setFilters(calls ...filterCall) tea.Cmd {
	if len(calls) == 0 {
		return nil
	}
	if m.filterAsks == nil {
		m.filterAsks = map[filterKey]*filterAsk{}
	}
	for _, c := range calls {
		k := filterKey{c.source, c.f.Name}
		a := m.filterAsks[k]
		if a == nil {
			a = &filterAsk{}
			m.filterAsks[k] = a
		}
		a.f = c.f
		a.calls++
	}
	m.filterQ.push(calls)
	ctrl, q, now := m.ctrl, m.filterQ, m.now
	return func() tea.Msg {
		calls := q.run(ctrl)
		if len(calls) == 0 { // an earlier command made them
			return nil
		}
		return resultMsg{action: "filter", filters: calls, at: now()}
	}
}

// onFilters logs what the engine did with filter calls and shows what it
// accepted: the latest asked state once every call for a filter has
// answered.
func (m *Model) onFilters(r resultMsg) {
	for _, c := range r.filters {
		k := filterKey{c.source, c.f.Name}
		a := m.filterAsks[k]
		if c.err != nil {
			// The next key starts again from what the engine last said.
			delete(m.filterAsks, k)
			m.addLog(r.at, logpane.Error, filterError(c))
			continue
		}
		m.addLog(r.at, logpane.Info, c.source+": "+describeFilter(c))
		switch {
		case a == nil:
			m.showFilter(c.source, c.f)
		case a.calls <= 1:
			delete(m.filterAsks, k)
			m.showFilter(c.source, a.f)
		default:
			a.calls--
		}
	}
}

// describeFilter says what a call did: "beauty on (0.6)", "watermark off",
// "beauty 0.7".
func describeFilter(c filterCall) string {
	strength := strconv.FormatFloat(c.f.Strength, 'f', 1, 64)
	switch {
	case c.strength:
		return c.f.Name + " " + strength
	case !c.f.On:
		return c.f.Name + " off"
	case stats.HasStrength(c.f.Name):
		return c.f.Name + " on (" + strength + ")"
	}
	return c.f.Name + " on"
}

// filterError is a failed call's log line. The engine's errors name the
// source ("cam has no watermark: add … to the preset"); others get it in
// front.
func filterError(c filterCall) string {
	what := c.f.Name + " " + strconv.FormatFloat(c.f.Strength, 'f', 1, 64)
	if !c.strength {
		what = c.f.Name + map[bool]string{true: " on", false: " off"}[c.f.On]
	}
	msg := c.err.Error()
	if !strings.HasPrefix(msg, c.source+" ") && !strings.HasPrefix(msg, c.source+":") {
		what = c.source + ": " + what
	}
	return what + ": " + msg
}

// showFilter puts f into the shown snapshot at once. The snapshot's slices
// may be shared with whoever else the engine sent it to: they are copied,
// never written.
func (m *Model) showFilter(source string, f stats.Filter) {
	if source == stats.ProgramName {
		m.stats.ProgramFilters = withFilter(m.stats.ProgramFilters, f)
		return
	}
	i := slices.IndexFunc(m.stats.Sources, func(s stats.Source) bool { return s.Name == source })
	if i < 0 {
		return
	}
	m.stats.Sources = slices.Clone(m.stats.Sources)
	m.stats.Sources[i].Filters = withFilter(m.stats.Sources[i].Filters, f)
}

// withFilter is a copy of fs with f in it: in place of the filter of its
// name, or where the processing order puts it.
func withFilter(fs []stats.Filter, f stats.Filter) []stats.Filter {
	if i := slices.IndexFunc(fs, func(g stats.Filter) bool { return g.Name == f.Name }); i >= 0 {
		out := slices.Clone(fs)
		out[i] = f
		return out
	}
	rank := func(name string) int { return slices.Index(stats.FilterNames, name) }
	at := slices.IndexFunc(fs, func(g stats.Filter) bool { return rank(g.Name) > rank(f.Name) })
	if at < 0 {
		at = len(fs)
	}
	return slices.Insert(slices.Clone(fs), at, f)
}
