package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"studio/filters/chain"
	"studio/pipeline/encode"
	"studio/pipeline/output"
	"studio/pipeline/stats"
	"studio/presets"
)

// The engine's live controls, used by the console. Every method is safe to
// call from any goroutine, before, during and after Run (after Close only
// the read-only ones: Levels, Preview, Scenes); none waits on the network
// except StopLive, StopRecording and RemoveDestination, which let queued
// media out (up to 5 s).

// stopTimeout bounds how long stopping an output waits for its queue.
const stopTimeout = 5 * time.Second

// Errors of the live controls.
var (
	// ErrNotLive is returned by StopLive and Reconnect when nothing is streaming.
	ErrNotLive = errors.New("not live")
	// ErrEnded is returned by GoLive and StartRecording once the program has stopped.
	ErrEnded = errors.New("the program has stopped")
)

// GoLive starts pushing to every destination of the run.
func (e *Engine) GoLive() error {
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	switch {
	case e.ended:
		return ErrEnded
	case len(e.live) > 0:
		return errors.New("already live")
	case e.stopping:
		// The old publishes are still closing; a new one now could be
		// refused as "already publishing".
		return errors.New("still stopping the previous stream; try again in a moment")
	}
	if len(e.dests) == 0 {
		return ErrNoDestinations
	}
	for _, d := range e.dests {
		e.live = append(e.live, e.startOutput(e.newRTMP(d), d, ""))
	}
	e.publishOutputs()
	return nil
}

// AddDestination adds an RTMP or RTMPS destination (the console's
// multistream). While live it starts at once, joining at a keyframe;
// otherwise the next GoLive pushes to it too. name "" picks the next free
// outN. It returns the name used; its errors (malformed URL, duplicate
// name) show the URL masked. A headless run's destinations are fixed.
func (e *Engine) AddDestination(name, url string) (string, error) {
	if !e.cfg.Interactive {
		return "", errHeadless
	}
	if err := presets.CheckDestination(url); err != nil {
		return "", err
	}
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	if e.ended {
		return "", ErrEnded
	}
	taken := func(n string) bool {
		return n == stats.RecordingName || slices.ContainsFunc(e.dests, func(d Destination) bool { return d.Name == n })
	}
	if name == "" {
		name = presets.OutputName(taken)
	} else if taken(name) {
		return "", fmt.Errorf("a destination is already called %q", name)
	}
	d := Destination{Name: name, URL: url, QueueMs: presets.DefaultQueueMs}
	e.dests = append(e.dests, d)
	if len(e.live) > 0 {
		e.live = append(e.live, e.startOutput(e.newRTMP(d), d, ""))
		e.publishOutputs()
	}
	return name, nil // the caller reports it: a log line here showed twice
}

// errHeadless: destinations are added and removed in the console only.
var errHeadless = errors.New("a headless run's destinations are fixed by its command line and preset")

// RemoveDestination stops the named destination (what it holds is sent,
// up to 5 s) and forgets it. Removing the last one while live ends the
// stream.
func (e *Engine) RemoveDestination(name string) error {
	if !e.cfg.Interactive {
		return errHeadless
	}
	e.ctlMu.Lock()
	i := slices.IndexFunc(e.dests, func(d Destination) bool { return d.Name == name })
	if i < 0 {
		e.ctlMu.Unlock()
		return fmt.Errorf("no destination called %q", name)
	}
	e.dests = slices.Delete(e.dests, i, i+1)
	var gone *outputEntry
	if j := slices.IndexFunc(e.live, func(l *outputEntry) bool { return l.dest.Name == name }); j >= 0 {
		gone = e.live[j]
		e.live = slices.Delete(e.live, j, j+1)
		e.publishOutputs()
	}
	e.ctlMu.Unlock()
	if gone != nil {
		e.stopEntries(gone)
	}
	return nil
}

// startOutput runs o on its own context. It joins the program where it
// stands: it starts on a keyframe asked of the encoder now, moved to near
// zero.
func (e *Engine) startOutput(o *output.Output, d Destination, path string) *outputEntry {
	ctx, cancel := context.WithCancel(e.outCtx)
	o.JoinAt(encode.StartOffset)
	o.Start(ctx, e.header)
	e.wantKey.Store(true)
	return &outputEntry{out: o, cancel: cancel, dest: d, path: path}
}

// Live says whether the destinations are started (whatever their state).
func (e *Engine) Live() bool {
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	return len(e.live) > 0
}

// StopLive ends the streams cleanly: queued media is sent (up to 5 s), then
// each publish is closed.
func (e *Engine) StopLive() error {
	e.ctlMu.Lock()
	live := e.live
	e.live = nil
	e.stopping = len(live) > 0
	e.publishOutputs()
	e.ctlMu.Unlock()
	if len(live) == 0 {
		return ErrNotLive
	}
	defer func() {
		e.ctlMu.Lock()
		e.stopping = false
		e.ctlMu.Unlock()
	}()
	e.stopEntries(live...)
	return nil
}

// stopEntries lets the outputs send what they hold (up to stopTimeout,
// together), then cancels them and waits until each has closed: a publish
// still closing would make the next one "already publishing".
func (e *Engine) stopEntries(entries ...*outputEntry) {
	outs := make([]*output.Output, len(entries))
	for i, en := range entries {
		outs[i] = en.out
	}
	stopOutputs(outs, stopTimeout, e.cfg.Logf)
	for _, en := range entries {
		en.cancel()
		<-en.out.Done()
	}
}

// StartRecording starts a local recording (FLV, or MKV as the preset
// says) and returns its path: the
// run's record path, or studio-DATE_TIME.flv in the working directory. An
// existing file is never overwritten; a time is added to the name instead.
func (e *Engine) StartRecording() (string, error) {
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	if e.ended {
		return "", ErrEnded
	}
	if e.recording != nil {
		return "", errors.New("already recording")
	}
	path := freshRecordingPath(e.recordingName(time.Now()), time.Now())
	if dir := filepath.Dir(path); dir != "." {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return "", fmt.Errorf("cannot record to %s: folder %s does not exist", path, dir)
		}
	}
	e.recording = e.startOutput(e.newRecorder(path), Destination{}, path)
	e.publishOutputs()
	return path, nil
}

// freshRecordingPath picks a recording file name that does not exist yet.
func freshRecordingPath(want string, now time.Time) string {
	stamp := now.Format("2006-01-02_15-04-05")
	if want == "" {
		want = "studio-" + stamp + ".flv"
	}
	path := want
	for i := 2; ; i++ {
		if !recordingExists(path) {
			return path
		}
		ext := filepath.Ext(want)
		base := strings.TrimSuffix(want, ext)
		if i == 2 {
			path = base + "-" + stamp + ext
		} else {
			path = fmt.Sprintf("%s-%s-%d%s", base, stamp, i, ext)
		}
	}
}

// StopRecording finishes the recording (everything queued is written) and
// returns its path and size.
func (e *Engine) StopRecording() (string, int64, error) {
	e.ctlMu.Lock()
	rec := e.recording
	e.recording = nil
	e.publishOutputs()
	e.ctlMu.Unlock()
	if rec == nil {
		return "", 0, errors.New("not recording")
	}
	e.stopEntries(rec)
	size := rec.out.Snapshot().BytesSent
	if err := rec.out.Err(); err != nil {
		return rec.path, size, fmt.Errorf("recording %s: %w", rec.path, err)
	}
	return rec.path, size, nil
}

// Reconnect retries every destination that is waiting to reconnect now, and
// restarts the ones that failed.
func (e *Engine) Reconnect() error {
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	for _, r := range e.src.returns {
		if r.feed.Snapshot().State == stats.StateReconnecting {
			r.feed.RetryNow() // a guest's return: reconnect now too
		}
	}
	if len(e.live) == 0 {
		return ErrNotLive
	}
	for i, l := range e.live {
		switch l.out.State() {
		case stats.StateReconnecting:
			l.out.RetryNow()
		case stats.StateFailed:
			l.cancel()
			e.live[i] = e.startOutput(e.newRTMP(l.dest), l.dest, "")
			e.cfg.Logf("%s: reconnecting", l.dest.Name)
		}
	}
	e.publishOutputs()
	return nil
}

// Destinations are the masked URLs GoLive pushes to.
func (e *Engine) Destinations() []string {
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	var out []string
	for _, d := range e.dests {
		out = append(out, presets.MaskURL(d.URL))
	}
	return out
}

// Scenes are the scene names, in key order.
func (e *Engine) Scenes() []string {
	names := make([]string, len(e.src.scenes))
	for i, sc := range e.src.scenes {
		names[i] = sc.name
	}
	return names
}

// ActiveScene is the index of the scene on air.
func (e *Engine) ActiveScene() int { return e.src.Active() }

// SwitchScene puts scene i (0-based) on air with the next frame (a cut).
func (e *Engine) SwitchScene(i int) error { return e.src.Switch(i) }

// SetMute mutes a source, or the master (MasterName).
func (e *Engine) SetMute(name string, muted bool) error { return e.src.setMute(name, muted) }

// SetGain sets a source's or the master's gain in dB (clamped to stats.MinGainDB..MaxGainDB).
func (e *Engine) SetGain(name string, db float64) error { return e.src.setGain(name, db) }

// Levels returns each source's level and then the master's since the last
// call, for meters that refresh several times a second. dst is reused.
func (e *Engine) Levels(dst []stats.AudioSource) []stats.AudioSource {
	dst, master, _ := e.src.levels(dst, true)
	return append(dst, master)
}

// SetPreview turns the preview picture on or off (off costs nothing).
func (e *Engine) SetPreview(on bool) { e.previewOn.Store(on) }

// Preview copies the newest preview picture into dst (reallocated if its
// size differs; PreviewWidth wide, the program's aspect) and returns it with
// a sequence number that changes with each new picture (0: none yet). When
// the newest is the one numbered since (the caller has it), nothing is copied.
func (e *Engine) Preview(dst *image.RGBA, since uint64) (*image.RGBA, uint64) {
	if e.prev == nil {
		return dst, 0
	}
	return e.prev.copyTo(dst, since)
}

// SetFilter turns a filter of a source, or of the program
// (stats.ProgramName), on or off between two frames (tui.Controller).
func (e *Engine) SetFilter(source, filter string, on bool) error {
	c, err := e.chain(source)
	if err != nil {
		return err
	}
	return c.Set(filter, on)
}

// SetFilterStrength sets a filter's main parameter, 0..1 (tui.Controller).
func (e *Engine) SetFilterStrength(source, filter string, strength float64) error {
	c, err := e.chain(source)
	if err != nil {
		return err
	}
	return c.SetStrength(filter, strength)
}

// chain finds the filters of a source by name, or the program's.
func (e *Engine) chain(name string) (*chain.Chain, error) {
	if name == stats.ProgramName {
		return e.program, nil
	}
	var names []string
	for _, ps := range e.src.sources {
		if ps.name == name {
			return ps.chain, nil
		}
		names = append(names, ps.name)
	}
	return nil, fmt.Errorf("no source %q (sources: %s, or %s)", name, strings.Join(names, ", "), stats.ProgramName)
}
