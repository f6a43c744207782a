package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"studio/pipeline"
	"studio/pipeline/output"
	"studio/pipeline/stats"
	"studio/presets"
)

// errHelp ends a command after --help was printed.
var errHelp = errors.New("help shown")

// engineFlags are the flags run and relay share.
type engineFlags struct {
	preset    string
	to        multiFlag
	record    string
	duration  time.Duration
	statsJSON string
	realtime  bool
	headless  bool
	loop      bool
	audio     string
	display   string
	device    string
}

func newFlagSet(name string, ef *engineFlags, defaultPreset string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&ef.preset, "preset", defaultPreset, "built-in preset name or preset file")
	fs.Var(&ef.to, "to", "RTMP destination URL (repeatable)")
	fs.StringVar(&ef.record, "record", "", "also record to this file: FLV, or Matroska for a .mkv name (record.split_* in the preset makes NAME-001.EXT, NAME-002.EXT, …)")
	fs.DurationVar(&ef.duration, "duration", 0, "stop cleanly after this much program time (e.g. 30s, 1h)")
	fs.StringVar(&ef.statsJSON, "stats-json", "", "write one JSON stats line a second to PATH, or - for stdout")
	fs.BoolVar(&ef.realtime, "realtime", true, "pace file inputs in real time (false: as fast as possible)")
	return fs
}

func usageOf(fs *flag.FlagSet, help string) string {
	var b strings.Builder
	b.WriteString(help)
	b.WriteString("\nFlags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

const runHelp = `Usage: studio run --preset NAME|FILE [--headless] [--to URL]... [--record PATH]
                  [--duration DUR] [--stats-json PATH|-] [--realtime=false]

Runs a preset headless: its source through the encoders to every destination.

Example:
  studio run --preset twitch-720p30 --to rtmp://live.twitch.tv/app/$TWITCH_KEY --record show.flv
`

const relayHelp = `Usage: studio relay INPUT [URL...] [--preset NAME|FILE] [--loop] [--record PATH]
                    [--duration DUR] [--stats-json PATH|-] [--realtime=false]
       studio relay screen [URL...] [--display :N] [--audio DEVICE|none] [--preset NAME|FILE] ...
       studio relay camera [URL...] [--device /dev/videoN] [--audio DEVICE|none] ...

Streams INPUT (a media file, a URL FFmpeg can open, testsrc, the X screen or
a camera) to each URL, re-encoded as H.264/AAC by the preset (default: relay,
which keeps the input's size and rate up to 1920x1080; screen-720p30 and
screen-1080p30 fix the size). Screen and camera take audio from --audio (a
device from "studio devices", default, or none); without it, from the
default input when there is one.

Examples:
  studio relay movie.mp4 rtmp://127.0.0.1:1935/live/mystream --loop
  studio relay screen rtmp://127.0.0.1:1935/live/mystream --preset screen-720p30 --audio none
  studio relay camera rtmp://127.0.0.1:1935/live/mystream --device /dev/video0 --audio default
`

func cmdRun(args []string, stdout, stderr io.Writer) error {
	var ef engineFlags
	fs := newFlagSet("run", &ef, "demo")
	fs.BoolVar(&ef.headless, "headless", true, "run without the console (the only mode until the console lands)")
	fs.BoolVar(&ef.loop, "loop", false, "restart a file input at its end")
	pos, err := parseArgs(fs, args, runHelp, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("run takes no positional arguments (got %q); did you mean: studio relay %s", pos[0], pos[0])
	}
	return runEngine(ef, "", stdout, stderr)
}

func cmdRelay(args []string, stdout, stderr io.Writer) error {
	var ef engineFlags
	fs := newFlagSet("relay", &ef, "relay")
	fs.BoolVar(&ef.loop, "loop", false, "restart the input at its end, timestamps continuing")
	fs.StringVar(&ef.audio, "audio", "", "audio device for screen/camera inputs (see studio devices), default, or none")
	fs.StringVar(&ef.display, "display", "", "X display for the screen input (default $DISPLAY)")
	fs.StringVar(&ef.device, "device", "", "V4L2 device for the camera input (default /dev/video0)")
	pos, err := parseArgs(fs, args, relayHelp, stdout)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("relay needs an INPUT: a media file, a URL or testsrc\n\n%s", relayHelp)
	}
	ef.to = append(multiFlag(pos[1:]), ef.to...)
	input := pos[0]
	switch {
	case ef.audio != "" && input != presets.KindScreen && input != presets.KindCamera:
		return usagef("--audio applies to the screen and camera inputs (the input is %s)", presets.MaskURL(input))
	case ef.display != "" && input != presets.KindScreen:
		return usagef("--display applies to the screen input")
	case ef.device != "" && input != presets.KindCamera:
		return usagef("--device applies to the camera input")
	}
	return runEngine(ef, input, stdout, stderr)
}

func parseArgs(fs *flag.FlagSet, args []string, help string, stdout io.Writer) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usageOf(fs, help))
		return nil, errHelp
	}
	if err != nil {
		return nil, usagef("%v\n\n%s", err, usageOf(fs, help))
	}
	return pos, nil
}

// runEngine loads the preset, checks every user input before going live,
// runs the engine and maps the outcome to an error for the exit code.
func runEngine(ef engineFlags, input string, stdout, stderr io.Writer) error {
	p, dests, record, err := loadPlan(ef, input)
	if err != nil {
		return err
	}
	if input == presets.KindScreen || input == presets.KindCamera {
		input = "" // loadPlan made it the preset's source
	}
	if len(dests) == 0 && record == "" {
		return usagef("nothing to send to: add a destination (--to rtmp://host/app/KEY) or a recording (--record out.flv)")
	}
	if record != "" {
		if err := checkRecordPath(record); err != nil {
			return err
		}
	}

	sw, closeStats, err := openStatsWriter(ef.statsJSON, stdout)
	if err != nil {
		return err
	}
	defer closeStats()
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "studio: "+format+"\n", args...)
	}
	status := &statusLine{w: stderr, presetKbps: p.Video.Bitrate.Kbps()}
	eng, err := pipeline.Open(pipeline.Config{
		Preset: p, Input: input, Loop: ef.loop,
		Destinations: dests, RecordPath: record,
		Duration: ef.duration, Realtime: ef.realtime,
		Logf: logf,
		OnStats: func(s stats.Stats) {
			sw.write(s)
			status.print(s)
		},
	})
	if err != nil {
		return &usageError{err.Error()}
	}
	defer eng.Close()
	f := eng.Format()
	fmt.Fprintf(stderr, "studio: %s → %dx%d @ %.2f fps, %s video, %s audio; %d destination(s)%s\n",
		describeInput(input, p), f.Width, f.Height, f.FrameRate.Float64(), p.Video.Bitrate, p.Audio.Bitrate,
		len(dests), recordNote(record))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = eng.Run(ctx)
	if err != nil {
		return err
	}
	if record != "" {
		fmt.Fprintf(stderr, "studio: recording saved to %s\n", pipeline.RecordingFiles(record, p.Record))
	}
	return nil
}

func describeInput(input string, p *presets.Preset) string {
	switch {
	case input != "":
		return presets.MaskURL(input)
	case p.Source.Kind == presets.KindTestsrc:
		return "test pattern"
	case p.Source.Kind == presets.KindScreen:
		d := p.Source.Display
		if d == "" {
			d = os.Getenv("DISPLAY")
		}
		return "screen " + d
	case p.Source.Kind == presets.KindCamera:
		d := p.Source.Device
		if d == "" {
			d = "/dev/video0"
		}
		return "camera " + d
	}
	return presets.MaskURL(p.Source.Input)
}

func recordNote(path string) string {
	if path == "" {
		return ""
	}
	return ", recording to " + path
}

// checkInput catches a missing or unreadable local file before anything starts.
func checkInput(input string) error {
	if input == "" || input == "testsrc" {
		return nil
	}
	if strings.Contains(input, "://") {
		if _, err := url.Parse(input); err != nil {
			// url.Error quotes the URL and the offending characters, which may
			// be part of the key: name only the kind of mistake.
			return usagef("input URL %s is malformed (a stray %%, space or control character?)", presets.MaskURL(input))
		}
		return nil
	}
	if input == presets.KindScreen || input == presets.KindCamera {
		return nil // opened (and checked) by the engine, before going live
	}
	fi, err := os.Stat(input)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return usagef("input file %q not found: check the path (or use testsrc for the test pattern)", input)
	case err != nil:
		return usagef("input file %q cannot be read: %v", input, err)
	case fi.IsDir():
		return usagef("input %q is a directory, not a media file", input)
	}
	f, err := os.Open(input)
	if err != nil {
		return usagef("input file %q cannot be read: %v (check its permissions)", input, err)
	}
	f.Close()
	return nil
}

// loadPlan loads the preset and checks, before anything opens, every input
// (INPUT, or the preset's file sources), destination and the recording
// path the run would use.
func loadPlan(ef engineFlags, input string) (p *presets.Preset, dests []pipeline.Destination, record string, err error) {
	if p, err = presets.Load(ef.preset); err != nil {
		return nil, nil, "", &usageError{err.Error()}
	}
	if err = checkCAFile(p); err != nil {
		return nil, nil, "", err
	}
	if input == presets.KindScreen || input == presets.KindCamera {
		captureInput(p, input, ef)
		input = ""
	}
	if input == "" {
		// A file source needs its input from the preset (or from INPUT).
		if err = p.ValidateForRun(); err != nil {
			return nil, nil, "", usagef("%v (or give the input: studio relay INPUT --preset %s)", err, ef.preset)
		}
	}
	if err = checkInput(input); err != nil {
		return nil, nil, "", err
	}
	if input == "" {
		if err = checkPresetInputs(p); err != nil {
			return nil, nil, "", err
		}
	}
	if dests, err = buildDestinations(p, ef.to); err != nil {
		return nil, nil, "", err
	}
	record = ef.record
	if record == "" {
		record = p.Record.Path
	}
	return p, dests, record, nil
}

// captureInput makes the preset's program the one capture source INPUT
// names: the preset's own source when it is of that kind (keeping its
// settings), else a default one; --display, --device and --audio win.
func captureInput(p *presets.Preset, kind string, ef engineFlags) {
	sc := p.Source
	if len(p.Sources) == 1 && p.Sources[0].Kind == kind {
		sc = p.Sources[0]
	}
	if sc.Kind != kind {
		sc = presets.DefaultSource()
		sc.Kind, sc.Audio = kind, presets.AudioAuto
	}
	sc.Name = kind
	if ef.display != "" {
		sc.Display = ef.display
	}
	if ef.device != "" {
		sc.Device = ef.device
	}
	if ef.audio != "" {
		sc.Audio = ef.audio
	}
	p.Source, p.Sources, p.Scenes = sc, nil, nil
}

// buildDestinations lists the preset's outputs, then each --to URL (checked).
func buildDestinations(p *presets.Preset, to []string) ([]pipeline.Destination, error) {
	var dests []pipeline.Destination
	for _, o := range p.Outputs { // named by Parse
		dests = append(dests, pipeline.Destination{Name: o.Name, URL: o.URL, QueueMs: o.QueueMs})
	}
	for _, u := range to {
		if err := checkDestination(u); err != nil {
			return nil, err
		}
		name := presets.OutputName(func(n string) bool {
			return slices.ContainsFunc(dests, func(d pipeline.Destination) bool { return d.Name == n })
		})
		dests = append(dests, pipeline.Destination{Name: name, URL: u, QueueMs: presets.DefaultQueueMs})
	}
	return dests, nil
}

// checkCAFile checks, before going live, that the preset's network.ca_file
// (when set) is a readable PEM file holding at least one certificate.
func checkCAFile(p *presets.Preset) error {
	path := p.Network.CAFile
	if path == "" {
		return nil
	}
	_, err := output.LoadCAPool(path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrNotExist):
		return usagef("%s: network.ca_file: %q not found", p.File, path)
	case errors.Is(err, output.ErrNoPEM):
		return usagef("%s: network.ca_file: %q holds no PEM certificate", p.File, path)
	}
	return usagef("%s: network.ca_file: cannot read %q: %v", p.File, path, errors.Unwrap(err))
}

// checkPresetInputs checks every file source of the preset.
func checkPresetInputs(p *presets.Preset) error {
	for _, sc := range p.ProgramSources() {
		if sc.Kind == presets.KindFile {
			if err := checkInput(sc.Input); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDestination rejects a malformed --to URL before going live; the
// message never shows the key (presets masks it).
func checkDestination(raw string) error {
	if err := presets.CheckDestination(raw); err != nil {
		return usagef("--to: %v", err)
	}
	return nil
}

func checkRecordPath(path string) error {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return usagef("cannot write the recording %q: %v", path, err)
	}
	f.Close()
	if errors.Is(statErr, os.ErrNotExist) {
		os.Remove(path) // the recording makes its own files (a split one never this name)
	}
	return nil
}

// statsWriter writes --stats-json lines.
type statsWriter struct {
	enc *json.Encoder
}

func (s *statsWriter) write(st stats.Stats) {
	if s.enc != nil {
		_ = s.enc.Encode(st)
	}
}

func openStatsWriter(dest string, stdout io.Writer) (*statsWriter, func(), error) {
	switch dest {
	case "":
		return &statsWriter{}, func() {}, nil
	case "-":
		return &statsWriter{enc: json.NewEncoder(stdout)}, func() {}, nil
	}
	f, err := os.Create(dest)
	if err != nil {
		return nil, nil, usagef("cannot write --stats-json %q: %v", dest, err)
	}
	return &statsWriter{enc: json.NewEncoder(f)}, func() { f.Close() }, nil
}

// statusLine prints the one-line human status on stderr once a second.
type statusLine struct {
	w          io.Writer
	presetKbps float64 // the preset's video bitrate: adaptive bitrate shows when below it
}

func (l *statusLine) print(s stats.Stats) {
	var b strings.Builder
	up := time.Duration(s.UptimeS * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(&b, "studio: %s %dx%d %.1f fps %.0f kb/s", stats.Clock(up), s.Video.Width, s.Video.Height, s.Video.FPS, s.Video.BitrateKbps)
	if s.Video.FramesSkipped > 0 {
		fmt.Fprintf(&b, " skipped %d", s.Video.FramesSkipped)
	}
	if s.Video.TargetKbps > 0 && s.Video.TargetKbps < l.presetKbps {
		fmt.Fprintf(&b, " (adaptive: target %.0fk)", s.Video.TargetKbps)
	}
	for _, o := range s.Outputs {
		fmt.Fprintf(&b, " | %s %s %.0f kb/s q %d ms drop %d", o.Name, o.State, o.BitrateKbps, o.QueueMs, o.FramesDropped)
		if o.Reconnects > 0 {
			fmt.Fprintf(&b, " reconn %d", o.Reconnects)
		}
	}
	if s.Final {
		b.WriteString(" (final)")
	}
	fmt.Fprintln(l.w, b.String())
}
