package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
	"github.com/muesli/termenv"

	"studio/pipeline"
	"studio/pipeline/stats"
	"studio/presets"
	"studio/tui"
	"studio/tui/components/logpane"
	"studio/tui/components/outputs"
)

const consoleHelp = `Usage: studio [--preset NAME|FILE] [--to URL]... [--record PATH] [--preview=false]

Opens the console on a preset (default: demo). Nothing is sent until you
press s (go live to every --to URL and the preset's outputs) or r (record).
Press ? in the console for every key.

Example:
  studio --preset demo --to rtmp://127.0.0.1:1935/live/mystream
`

// runOnly are the shared engine flags that only studio run and relay honour,
// with why the console refuses each.
var runOnly = map[string]string{
	"duration":   "the console runs until you quit (q)",
	"stats-json": "the console shows stats itself",
	"realtime":   "the console always plays inputs in real time",
}

// refuseRunOnly fails when a run-only flag was given.
func refuseRunOnly(fs *flag.FlagSet) (err error) {
	fs.Visit(func(f *flag.Flag) {
		if why, ok := runOnly[f.Name]; ok && err == nil {
			err = usagef("--%s is for studio run; %s", f.Name, why)
		}
	})
	return err
}

// cmdConsole opens the console: the engine runs in the background and the
// console drives it.
func cmdConsole(args []string, stdout, stderr io.Writer) error {
	var ef engineFlags
	fs := newFlagSet("studio", &ef, "demo")
	preview := fs.Bool("preview", true, "show the program picture (p toggles it)")
	for name := range runOnly {
		fs.Lookup(name).Usage = "for studio run; the console refuses it"
	}
	pos, err := parseArgs(fs, args, consoleHelp, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return unknownCommand(pos[0])
	}
	if err := refuseRunOnly(fs); err != nil {
		return err
	}
	p, dests, record, err := loadPlan(ef, "")
	if err != nil {
		return err
	}
	if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
		return usagef("the console needs a terminal; for scripts use: studio run --preset %s --to URL", ef.preset)
	}

	// Engine messages reach the console through buffered channels: the
	// engine never waits for the screen. Stats keep only the newest.
	logs := make(chan tui.LogMsg, 256)
	statsSlot := make(chan stats.Stats, 1)
	logf := func(format string, args ...any) {
		msg := tui.LogMsg{Time: time.Now(), Level: logpane.Warn, Text: fmt.Sprintf(format, args...)}
		select {
		case logs <- msg:
		default: // a flood of warnings: the pane shows the latest anyway
		}
	}
	eng, err := pipeline.Open(pipeline.Config{
		Preset: p, Destinations: dests, RecordPath: record, Realtime: true, Interactive: true, Logf: logf,
		OnStats: func(s stats.Stats) {
			select {
			case <-statsSlot:
			default:
			}
			statsSlot <- s
		},
	})
	if err != nil {
		return &usageError{err.Error()}
	}
	defer eng.Close()

	opts := tui.Options{Preset: p.Name, Scenes: eng.Scenes(), Preview: *preview, VideoKbps: p.Video.Bitrate.Kbps()}
	for _, d := range dests {
		opts.Destinations = append(opts.Destinations, tui.Destination{Name: d.Name, URL: presets.MaskURL(d.URL)})
	}
	model := tui.New(eng, opts, termenv.NewOutput(os.Stdout).EnvColorProfile())
	prog := tea.NewProgram(model, tea.WithAltScreen(), tea.WithFPS(10))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	engineDone := make(chan error, 1)
	go func() {
		err := eng.Run(ctx)
		engineDone <- err
		prog.Send(tui.EngineDoneMsg{Err: err})
	}()
	go func() {
		for {
			select {
			case m := <-logs:
				prog.Send(m)
			case s := <-statsSlot:
				prog.Send(tui.StatsMsg(s))
			case <-ctx.Done():
				return
			}
		}
	}()

	_, runErr := prog.Run()
	// The screen is restored; stop the engine cleanly: streams send what
	// they hold and unpublish, the recording is closed and stays playable.
	if eng.Live() {
		fmt.Fprintln(stderr, "studio: stopping the stream…")
		_ = eng.StopLive() // sends what is queued, then unpublishes
	}
	var recPath string
	var recBytes int64
	if path, size, err := eng.StopRecording(); err == nil {
		recPath, recBytes = path, size
	}
	cancel()
	engErr := <-engineDone
	if recPath != "" {
		fmt.Fprintf(stderr, "studio: recording saved to %s (%s)\n", pipeline.RecordingFiles(recPath, p.Record), outputs.FormatBytes(recBytes))
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrInterrupted) {
		return fmt.Errorf("console: %w", runErr)
	}
	if engErr != nil && !model.Quitting() {
		return engErr
	}
	return nil
}
