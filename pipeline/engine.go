// Package pipeline is the engine: it wires the sources of the active scene
// through the encoders to every output on one program clock, publishes Stats
// snapshots, and takes live control (go live, record, scenes, faders,
// preview) from the console. It knows nothing about the console or the
// command line.
package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"studio/filters/chain"
	"studio/filters/composite"
	"studio/internal/procstat"
	"studio/pipeline/encode"
	"studio/pipeline/media"
	"studio/pipeline/output"
	"studio/pipeline/source"
	"studio/pipeline/stats"
	"studio/presets"
)

// Version is the product version, reported in onMetaData and `studio version`.
var Version = "0.1.0"

// Destination is one RTMP push target.
type Destination struct {
	Name    string
	URL     string
	QueueMs int
}

// Config is everything one run needs; the command line builds it from the
// preset and flags.
type Config struct {
	Preset *presets.Preset
	// Input overrides the preset's source: "testsrc", a path or a URL.
	Input string
	Loop  bool
	// Destinations are RTMP targets; RecordPath adds a local recording
	// (FLV, or MKV per Preset.Record or a .mkv name; maybe split in parts).
	Destinations []Destination
	RecordPath   string
	// Duration stops cleanly after this much program time (0: until the input ends or ctx is done).
	Duration time.Duration
	// Realtime paces file inputs at their own speed; false runs as fast as possible.
	Realtime bool
	// OnStats receives a snapshot once a second and a final one.
	OnStats func(stats.Stats)
	// Logf receives warnings (already free of secrets).
	Logf func(format string, args ...any)
	// Interactive is the console's mode: nothing is sent until GoLive or
	// StartRecording (Destinations and RecordPath say where to), the program
	// is encoded only while something consumes it, failed outputs wait for
	// the user instead of ending the run, and a preview is kept.
	Interactive bool
}

// Errors of the engine and its controls.
var (
	// ErrAllOutputsFailed is returned when every output has failed for good.
	ErrAllOutputsFailed = errors.New("every output failed")
	// ErrNoDestinations: GoLive with nowhere to go.
	ErrNoDestinations = errors.New("no destination to go live to")
)

// outputEntry is a running output with its own cancel.
type outputEntry struct {
	out    *output.Output
	cancel context.CancelFunc
	dest   Destination // for RTMP outputs, to restart a failed one
	path   string      // for the recording
}

// Engine runs one broadcast.
type Engine struct {
	cfg Config
	src *sceneSwitcher
	// program is the program's own filters, after the scene (loop goroutine).
	program *chain.Chain
	venc    *encode.Encoder
	aenc    *encode.Encoder
	vcfg    encode.VideoConfig
	acfg    encode.AudioConfig
	il      interleaver
	header  media.StreamHeader

	// Outputs: fixed ones (headless) and the console's live and recording
	// ones. The loop reads the published list without locking; control
	// calls rebuild it under ctlMu.
	outputs   atomic.Pointer[[]*output.Output]
	ctlMu     sync.Mutex
	fixed     []*output.Output
	live      []*outputEntry
	recording *outputEntry
	stopping  bool // StopLive is draining the streams
	ended     bool // Run has finished
	outCtx    context.Context
	abortOuts context.CancelFunc

	// Encoder sessions (loop goroutine only): the encoders run while any
	// output is attached and are reopened after an idle spell, so that
	// frames left inside them never reach a new output.
	encoding, encoded bool

	prev      *preview
	previewOn atomic.Bool
	// wantKey asks the loop for a keyframe (an output joined).
	wantKey atomic.Bool
	// target is the video bitrate the loop applies to the encoder; abr
	// (nil unless the preset asks for adaptive bitrate) moves it, on the
	// adapt goroutine.
	target atomic.Int64
	abr    *encode.Adaptive
	// links are the published outputs that are network destinations (the
	// ones adaptive bitrate watches); fixedLinks the headless ones.
	links      atomic.Pointer[[]*output.Output]
	fixedLinks []*output.Output
	// dests are where going live pushes to (cfg.Destinations, plus and
	// minus what AddDestination and RemoveDestination change); ctlMu.
	dests []Destination

	closeOnce sync.Once

	// clock is the program clock live captures stamp with; Run starts it.
	clock         *source.Clock
	start         time.Time
	programFrames atomic.Int64
	framesEncoded atomic.Int64
	framesSkipped atomic.Int64
	encodeNanos   atomic.Int64
	videoBytes    atomic.Int64
}

// Open prepares the sources, encoders and outputs without sending anything.
// Errors here are the user's input (missing file, bad codec) and come before
// going live.
func Open(cfg Config) (_ *Engine, err error) {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	routeFFmpegLogs(cfg.Logf)
	e := &Engine{cfg: cfg, clock: &source.Clock{}, dests: append([]Destination(nil), cfg.Destinations...)}
	e.outCtx, e.abortOuts = context.WithCancel(context.Background())
	empty := []*output.Output{}
	e.outputs.Store(&empty)
	e.links.Store(&empty)
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	// The wall time of program time 0, for watermark clocks: the clock
	// starts when Run does, a moment from now.
	epoch := time.Now()
	if e.src, err = openSources(cfg, e.clock, epoch); err != nil {
		return nil, err
	}
	f := e.src.Format()
	p := cfg.Preset
	if e.program, err = chain.New(stats.ProgramName, p.Filters, chainOptions(f, epoch, cfg.Logf)); err != nil {
		return nil, fmt.Errorf("filters: %w", err)
	}
	e.src.meterMaster = !e.program.HasAudio()
	if err = e.openReturns(); err != nil {
		return nil, err
	}
	e.vcfg = encode.VideoConfig{
		Width: f.Width, Height: f.Height, FrameRate: f.FrameRate,
		BitrateBps: int64(p.Video.Bitrate), KeyintS: p.Video.KeyintS,
		Preset: p.Video.Preset, Tune: p.Video.Tune, Profile: p.Video.Profile,
		Adaptive: p.Network.AdaptiveBitrate,
	}
	e.target.Store(e.vcfg.BitrateBps)
	if p.Network.AdaptiveBitrate {
		e.abr = &encode.Adaptive{
			Max: e.vcfg.BitrateBps, Min: min(int64(p.Network.MinBitrate), e.vcfg.BitrateBps),
			Audio:     int64(p.Audio.Bitrate),
			Congested: time.Duration(p.Network.DropBFramesMs) * time.Millisecond / 2,
		}
	}
	e.acfg = encode.AudioConfig{SampleRate: f.SampleRate, Channels: f.Channels, BitrateBps: int64(p.Audio.Bitrate)}
	if e.venc, err = encode.NewVideo(e.vcfg); err != nil {
		return nil, err
	}
	if e.aenc, err = encode.NewAudio(e.acfg); err != nil {
		return nil, err
	}
	e.header = media.StreamHeader{
		AVCConfig: e.venc.ExtraData(), AudioConfig: e.aenc.ExtraData(),
		Width: f.Width, Height: f.Height, FrameRate: f.FrameRate.Float64(),
		VideoBitrateKbps: p.Video.Bitrate.Kbps(), AudioBitrateKbps: p.Audio.Bitrate.Kbps(),
		AudioSampleRate: f.SampleRate, AudioChannels: f.Channels,
		Encoder: "studio " + Version,
	}
	if cfg.Interactive {
		if e.prev, err = newPreview(f.Width, f.Height, f.FrameRate.Float64()); err != nil {
			return nil, err
		}
		e.src.holdOnEnd = true
		return e, nil
	}
	for _, d := range cfg.Destinations {
		e.fixedLinks = append(e.fixedLinks, e.newRTMP(d))
	}
	e.fixed = append(e.fixed, e.fixedLinks...)
	if cfg.RecordPath != "" {
		e.fixed = append(e.fixed, e.newRecorder(cfg.RecordPath))
	}
	return e, nil
}

func (e *Engine) newRTMP(d Destination) *output.Output {
	queue := time.Duration(d.QueueMs) * time.Millisecond
	if queue <= 0 {
		queue = time.Duration(presets.DefaultQueueMs) * time.Millisecond
	}
	n := e.cfg.Preset.Network
	drops := output.DropPolicy{
		BFrames: time.Duration(n.DropBFramesMs) * time.Millisecond,
		PFrames: time.Duration(n.DropPFramesMs) * time.Millisecond,
		Limit:   queue,
	}
	policy := output.DefaultPolicy
	if e.cfg.Interactive {
		// The streamer sees the destination retrying and decides; a
		// headless run reports one that never worked (exit 1).
		policy.FirstTries = 0
	}
	sink := &output.RTMP{URL: d.URL, CAFile: n.CAFile}
	o := output.New(d.Name, presets.MaskURL(d.URL), sink, drops, policy, e.cfg.Logf)
	o.OnResync(func() { e.wantKey.Store(true) })
	return o
}

func (e *Engine) newRecorder(path string) *output.Output {
	r := e.cfg.Preset.Record
	rec := output.NewRecording(path, output.RecordOptions{
		Format: r.Format, SplitSize: int64(r.SplitSize), SplitTime: time.Duration(r.SplitTime)})
	// A recording is never reopened: that would truncate what it holds.
	once := output.Policy{FirstTries: 1, RejectTries: 1}
	return output.New(stats.RecordingName, path, rec, output.DropPolicy{Limit: 30 * time.Second}, once, e.cfg.Logf)
}

// openReturns makes a mix-minus feed for every guest with a return URL:
// the program's sound without that guest, pushed to where the guest
// listens. They start with Run (a co-host talks before going live too).
func (e *Engine) openReturns() error {
	if e.cfg.Input != "" {
		return nil
	}
	f := e.src.Format()
	for i, sc := range e.cfg.Preset.ProgramSources() {
		if sc.Kind != presets.KindGuest || sc.Return == "" {
			continue
		}
		feed, err := output.NewAudioFeed(output.AudioFeedConfig{
			Name: sc.Name + " return", URL: sc.Return, SampleRate: f.SampleRate, Channels: f.Channels,
			CAFile: e.cfg.Preset.Network.CAFile, Logf: e.cfg.Logf,
		})
		if err != nil {
			return fmt.Errorf("source %q: return feed: %w", sc.Name, err)
		}
		if err := e.src.addReturn(i, feed); err != nil {
			feed.Close()
			return err
		}
	}
	return nil
}

// openSources opens every source of the program (or the one input given on
// the command line) and the scenes over them. Every source delivers the
// format of the first.
func openSources(cfg Config, clock *source.Clock, epoch time.Time) (*sceneSwitcher, error) {
	p := cfg.Preset
	srcCfgs, sceneCfgs := p.ProgramSources(), p.ProgramScenes()
	if cfg.Input != "" {
		one := presets.DefaultSource()
		one.Name, one.Kind, one.Input, one.Loop = "media", presets.KindFile, cfg.Input, p.Source.Loop
		one.Filters = p.Source.Filters // a relay preset's source filters apply to its input
		if cfg.Input == "testsrc" {
			one.Name, one.Kind, one.Input = "pattern", presets.KindTestsrc, ""
		}
		srcCfgs = []presets.SourceConfig{one}
		sceneCfgs = []presets.SceneConfig{{Name: one.Name, Source: one.Name}}
	}
	var sources []*programSource
	closeAll := func() {
		for _, ps := range sources {
			ps.close()
		}
	}
	var first *source.Format
	for _, sc := range srcCfgs {
		src, err := openSource(cfg, sc, first, clock)
		if err != nil {
			closeAll()
			if len(srcCfgs) > 1 {
				return nil, fmt.Errorf("source %q: %w", sc.Name, err)
			}
			return nil, err
		}
		if first == nil {
			f := src.Format()
			first = &f
		}
		ps := newProgramSource(sc.Name, sc.Kind, src)
		sources = append(sources, ps)
		// The preset's mixer channel (validated: never NaN, so no error).
		_, _ = ps.setGain(sc.GainDB), ps.setPan(sc.Pan)
		ps.muted.Store(sc.Muted)
		if ps.chain, err = chain.New(sc.Name, sc.Filters, chainOptions(*first, epoch, cfg.Logf)); err != nil {
			closeAll()
			return nil, fmt.Errorf("source %q: filters: %w", sc.Name, err)
		}
	}
	w, err := newSceneSwitcher(*first, sources, nil)
	if err != nil {
		closeAll()
		return nil, err
	}
	for i, sc := range sceneCfgs {
		ref, err := sceneOf(p, i, sc, sources, *first)
		if err == nil {
			err = w.addScene(ref)
		}
		if err != nil {
			w.Close()
			return nil, err
		}
	}
	if len(w.scenes) == 0 {
		w.Close()
		return nil, errors.New("no scene to put on air")
	}
	w.putOnAir()
	return w, nil
}

// sceneOf resolves a preset scene into layers in program pixels.
func sceneOf(p *presets.Preset, i int, sc presets.SceneConfig, sources []*programSource, f source.Format) (sceneRef, error) {
	index := func(name string) int {
		for j, ps := range sources {
			if ps.name == name {
				return j
			}
		}
		return -1
	}
	ref := sceneRef{name: sc.Name, image: sc.BackgroundImage}
	if t := p.TransitionTo(i); t.Kind == presets.TransitionFade {
		ref.fade = time.Duration(t.DurationMs) * time.Millisecond
	}
	if sc.Background != "" {
		yuv, err := composite.ParseColor(sc.Background)
		if err != nil {
			return ref, fmt.Errorf("scene %q: %w", sc.Name, err)
		}
		ref.background = yuv
	}
	switch {
	case sc.Source != "":
		full := fullScene(sc.Name, index(sc.Source))
		full.background, full.image, full.fade = ref.background, ref.image, ref.fade
		return full, nil
	case sc.Layout != "":
		rects, err := composite.Layout(sc.Layout, f.Width, f.Height, len(sc.Sources))
		if err != nil {
			return ref, fmt.Errorf("scene %q: %w", sc.Name, err)
		}
		for j, r := range rects {
			ref.layers = append(ref.layers, composite.Layer{Rect: r, Opacity: 1, Fit: composite.FitCover})
			ref.srcs = append(ref.srcs, index(sc.Sources[j]))
		}
		return ref, nil
	}
	layers := slices.Clone(sc.Layers)
	slices.SortStableFunc(layers, func(a, b presets.LayerConfig) int { return a.Z - b.Z })
	for _, l := range layers {
		fit := composite.FitCover
		switch l.Fit {
		case "contain":
			fit = composite.FitContain
		case "stretch":
			fit = composite.FitStretch
		}
		ref.layers = append(ref.layers, composite.Layer{
			Rect: composite.Rect{X: l.X.Pixels(f.Width), Y: l.Y.Pixels(f.Height),
				W: l.Width.Pixels(f.Width), H: l.Height.Pixels(f.Height)},
			Crop:    composite.Crop{Left: l.Crop.Left, Top: l.Crop.Top, Right: l.Crop.Right, Bottom: l.Crop.Bottom},
			Opacity: l.Opacity, Fit: fit,
		})
		ref.srcs = append(ref.srcs, index(l.Source))
	}
	return ref, nil
}

// openSource opens one source in the preset's format, or in format want
// (the first source's) when given.
func openSource(cfg Config, sc presets.SourceConfig, want *source.Format, clock *source.Clock) (source.Source, error) {
	p := cfg.Preset
	rate := astiav.NewRational(p.Video.FPS.Num, p.Video.FPS.Den)
	w, h := p.Video.Size.Width, p.Video.Size.Height
	sampleRate, channels := p.Audio.SampleRate, p.Audio.Channels
	if want != nil {
		w, h, rate, sampleRate, channels = want.Width, want.Height, want.FrameRate, want.SampleRate, want.Channels
	}
	if sc.Kind == presets.KindScreen || sc.Kind == presets.KindCamera {
		return openCapture(cfg, sc, source.CaptureConfig{
			Width: w, Height: h, FrameRate: rate, SampleRate: sampleRate, Channels: channels,
			MaxWidth: p.Video.MaxSize.Width, MaxHeight: p.Video.MaxSize.Height,
			Clock: clock, Logf: cfg.Logf,
		})
	}
	if sc.Kind == presets.KindGuest {
		if w == 0 {
			w, h = 1280, 720
		}
		if rate.Num() == 0 {
			rate = astiav.NewRational(30, 1)
		}
		g, err := source.OpenGuest(source.GuestConfig{
			Name: sc.Name, URL: sc.Input, Clock: clock, Logf: cfg.Logf,
			Format:     source.Format{Width: w, Height: h, FrameRate: rate, SampleRate: sampleRate, Channels: channels},
			Jitter:     time.Duration(sc.JitterMs) * time.Millisecond,
			StaleAfter: time.Duration(sc.StaleMs) * time.Millisecond,
		})
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return g, nil
	}
	if sc.Kind == presets.KindTestsrc {
		if w == 0 {
			w, h = 1280, 720
		}
		if rate.Num() == 0 {
			rate = astiav.NewRational(30, 1)
		}
		t, err := source.NewTestPatternLook(source.Format{Width: w, Height: h, FrameRate: rate,
			SampleRate: sampleRate, Channels: channels},
			source.PatternLook{Pattern: sc.Pattern, Color: sc.Color, Text: sc.Text, ToneHz: sc.ToneHz})
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return t, nil
	}
	fc := source.FileConfig{
		Input: sc.Input, Loop: sc.Loop || cfg.Loop,
		Width: w, Height: h,
		FrameRate:  rate,
		SampleRate: sampleRate, Channels: channels,
	}
	if want == nil {
		fc.MaxWidth, fc.MaxHeight = p.Video.MaxSize.Width, p.Video.MaxSize.Height
		fc.MaxFrameRate = p.Video.MaxFPS.Float()
	}
	f, err := source.OpenFile(fc)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// chainOptions is what a filter chain is made for: the program format.
func chainOptions(f source.Format, epoch time.Time, logf func(string, ...any)) chain.Options {
	return chain.Options{Width: f.Width, Height: f.Height, SampleRate: f.SampleRate, Channels: f.Channels,
		Epoch: epoch, Logf: logf}
}

// Format is the program format.
func (e *Engine) Format() source.Format { return e.src.Format() }

// Run streams until the input ends, the duration is reached, ctx is
// cancelled (a clean stop) or, headless, every output has failed (an error).
func (e *Engine) Run(ctx context.Context) error {
	defer e.abortOuts()
	e.clock.Start()
	e.start = e.clock.Started()
	e.ctlMu.Lock()
	for _, o := range e.fixed {
		o.Start(e.outCtx, e.header)
	}
	e.publishOutputs()
	e.ctlMu.Unlock()
	for _, r := range e.src.returns {
		r.feed.Start(e.outCtx)
	}
	e.il.emit = e.fanOut

	statsDone := make(chan struct{})
	statsStop := make(chan struct{})
	go e.statsLoop(statsStop, statsDone)
	if e.abr != nil {
		adaptDone := make(chan struct{})
		defer func() { <-adaptDone }()
		go e.adaptLoop(statsStop, adaptDone)
	}

	allFailed := e.watchOutputs()
	runErr := e.loop(ctx, allFailed)

	// Flush: encoders → interleaver → outputs, then let each output drain.
	if e.encoding {
		if err := e.venc.Encode(nil, e.il.push); err != nil && runErr == nil {
			runErr = err
		}
		if err := e.aenc.Encode(nil, e.il.push); err != nil && runErr == nil {
			runErr = err
		}
	}
	e.il.flush()
	e.ctlMu.Lock()
	e.ended = true // no output starts from here on
	all := append([]*output.Output(nil), *e.outputs.Load()...)
	e.ctlMu.Unlock()
	stopOutputs(all, stopTimeout, e.cfg.Logf)
	for _, r := range e.src.returns {
		if !r.feed.Stop(stopTimeout) {
			e.cfg.Logf("%s: did not finish sending within %s; closing it", r.feed.Snapshot().Name, stopTimeout)
		}
	}
	close(statsStop)
	<-statsDone
	if runErr == nil && !e.cfg.Interactive && len(e.fixed) > 0 && e.countFailed() == len(e.fixed) {
		runErr = e.failure()
	}
	return runErr
}

// stopOutputs lets outputs send what they hold for up to timeout, together,
// then cuts off the ones still sending.
func stopOutputs(outs []*output.Output, timeout time.Duration, logf func(string, ...any)) {
	var wg sync.WaitGroup
	for _, o := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !o.Stop(timeout) {
				logf("%s: did not finish sending within %s; closing it", o.Name(), timeout)
			}
		}()
	}
	wg.Wait()
}

// loop reads, paces and encodes frames.
func (e *Engine) loop(ctx context.Context, allFailed <-chan struct{}) error {
	f := e.src.Format()
	frameDur := time.Duration(float64(time.Second) / f.FrameRate.Float64())
	// One timer and one bound emit function for the whole run: nothing in
	// this loop allocates per frame.
	pace := time.NewTimer(time.Hour)
	defer pace.Stop()
	push := e.il.push
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-allFailed:
			return e.failure()
		default:
		}
		fr, err := e.src.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		if e.cfg.Duration > 0 && fr.Time >= e.cfg.Duration {
			return nil
		}
		if e.cfg.Realtime {
			if wait := fr.Time - time.Since(e.start); wait > 0 {
				pace.Reset(wait)
				select {
				case <-pace.C:
				case <-ctx.Done():
					return nil
				}
			} else if fr.Kind == media.Video && -wait > 10*frameDur {
				// Far behind the clock (a slow machine): skip frames rather
				// than drift ever further from live.
				e.framesSkipped.Add(1)
				continue
			}
		}
		if err := e.process(fr); err != nil {
			return err
		}
		if fr.Kind == media.Video {
			e.programFrames.Add(1)
			if e.prev != nil && e.previewOn.Load() {
				e.prev.offer(fr.AV)
			}
		}
		if !e.attached() {
			continue
		}
		if fr.Kind == media.Video {
			if e.wantKey.Swap(false) {
				e.venc.ForceKeyframe()
			}
			e.venc.SetBitrate(e.target.Load()) // a no-op unless adaptive bitrate moved it
			t0 := time.Now()
			err = e.venc.Encode(fr.AV, push)
			e.encodeNanos.Add(int64(time.Since(t0)))
			e.framesEncoded.Add(1)
		} else {
			err = e.aenc.Encode(fr.AV, push)
		}
		if err != nil {
			return err
		}
	}
}

// process runs the program's own filters over a frame in place, and meters
// the master after them when they touch the audio.
func (e *Engine) process(fr source.Frame) error {
	if fr.Kind == media.Video {
		return e.program.Video(fr.AV, fr.Time)
	}
	if !e.program.HasAudio() {
		return nil
	}
	if err := e.program.Audio(fr.AV); err != nil {
		return err
	}
	e.src.master.meter(measure(fr.AV, e.src.format.Channels))
	return nil
}

// attached says whether any output takes the program now, starting a new
// encoder session when one appears after an idle spell.
func (e *Engine) attached() bool {
	if len(*e.outputs.Load()) == 0 {
		if e.encoding {
			e.encoding = false
			e.il.reset()
		}
		return false
	}
	if !e.encoding {
		if e.encoded {
			if err := e.reopenEncoders(); err != nil {
				e.cfg.Logf("%v", err)
				return false
			}
		}
		e.encoding, e.encoded = true, true
	}
	return true
}

// reopenEncoders replaces both encoders with fresh ones: what the old ones
// still held belongs to a stream that has ended.
func (e *Engine) reopenEncoders() error {
	v, err := encode.NewVideo(e.vcfg)
	if err != nil {
		return fmt.Errorf("restart video encoder: %w", err)
	}
	a, err := encode.NewAudio(e.acfg)
	if err != nil {
		v.Close()
		return fmt.Errorf("restart audio encoder: %w", err)
	}
	if !bytes.Equal(v.ExtraData(), e.header.AVCConfig) || !bytes.Equal(a.ExtraData(), e.header.AudioConfig) {
		e.cfg.Logf("encoder restarted with different codec headers; players may need to reconnect")
	}
	e.venc.Close()
	e.aenc.Close()
	e.venc, e.aenc = v, a
	return nil
}

// fanOut gives every output its own reference to p.
func (e *Engine) fanOut(p *media.Packet) {
	if p.Kind == media.Video {
		e.videoBytes.Add(int64(len(p.Data)))
	}
	for _, o := range *e.outputs.Load() {
		p.Retain()
		o.Push(p)
	}
	p.Release()
}

// publishOutputs rebuilds the list the loop sends to. Call with ctlMu held.
func (e *Engine) publishOutputs() {
	links := append([]*output.Output(nil), e.fixedLinks...)
	for _, l := range e.live {
		links = append(links, l.out)
	}
	all := append([]*output.Output(nil), e.fixed...)
	for _, l := range e.live {
		all = append(all, l.out)
	}
	if e.recording != nil {
		all = append(all, e.recording.out)
	}
	e.outputs.Store(&all)
	e.links.Store(&links)
}

// watchOutputs closes the returned channel when every fixed output has
// failed (headless runs; the console keeps going and lets the user act).
func (e *Engine) watchOutputs() <-chan struct{} {
	ch := make(chan struct{})
	if len(e.fixed) == 0 || e.cfg.Interactive {
		return ch
	}
	go func() {
		for _, o := range e.fixed {
			<-o.Done()
		}
		if e.countFailed() == len(e.fixed) {
			close(ch)
		}
	}()
	return ch
}

func (e *Engine) countFailed() int {
	n := 0
	for _, o := range e.fixed {
		select {
		case <-o.Done():
			if o.Err() != nil {
				n++
			}
		default:
		}
	}
	return n
}

func (e *Engine) failure() error {
	var errs []error
	for _, o := range e.fixed {
		if err := o.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.Name(), err))
		}
	}
	return fmt.Errorf("%w: %w", ErrAllOutputsFailed, errors.Join(errs...))
}

// statsLoop publishes a snapshot once a second and a final one.
func (e *Engine) statsLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var prev snapshotState
	for {
		select {
		case <-t.C:
			e.publish(&prev, false)
		case <-stop:
			e.publish(&prev, true)
			return
		}
	}
}

type snapshotState struct {
	at        time.Time
	frames    int64
	encoded   int64
	nanos     int64
	videoByte int64
	outBytes  map[*output.Output]int64 // the outputs of the last line only
	feedBytes map[*returnFeed]int64    // the mix-minus feeds, likewise
	srcFrames []int64                  // per source, frames at the last line
	audio     []stats.AudioSource
	master    stats.AudioSource
	proc      procstat.Sample
}

func (e *Engine) publish(prev *snapshotState, final bool) {
	if e.cfg.OnStats == nil {
		return
	}
	now := time.Now()
	if prev.at.IsZero() {
		prev.at = e.start
		prev.outBytes = map[*output.Output]int64{}
		prev.feedBytes = map[*returnFeed]int64{}
		prev.master = stats.AudioSource{Name: MasterName, PeakDBFS: -120, RMSDBFS: -120}
	}
	// Rates are over the last interval; the final line covers the whole run,
	// since its interval is a fraction of a second that holds the flush.
	base := *prev
	if final {
		base = snapshotState{at: e.start, outBytes: map[*output.Output]int64{}, feedBytes: map[*returnFeed]int64{}}
	}
	dt := now.Sub(base.at).Seconds()
	rate := func(now, before int64) float64 {
		if dt <= 0 {
			return 0
		}
		return float64(now-before) / dt
	}
	frames, encoded, nanos, vbytes := e.programFrames.Load(), e.framesEncoded.Load(), e.encodeNanos.Load(), e.videoBytes.Load()
	f := e.src.Format()
	s := stats.Stats{
		Time: now.UTC(), UptimeS: round1(now.Sub(e.start).Seconds()), Final: final,
		Video: stats.Video{
			Width: f.Width, Height: f.Height, FramesEncoded: encoded,
			FramesSkipped: e.framesSkipped.Load(), CorruptInput: e.src.CorruptPackets(),
			FPS: round1(rate(frames, base.frames)), BitrateKbps: round1(rate(vbytes*8, base.videoByte*8) / 1000),
			TargetKbps: float64(e.target.Load()) / 1000,
		},
		Audio: stats.Audio{SampleRate: f.SampleRate, Channels: f.Channels},
	}
	if n := encoded - base.encoded; n > 0 {
		s.Video.EncodeMs = round1(float64(nanos-base.nanos) / float64(n) / 1e6)
	}
	sources, master, measured := e.src.levels(nil, false)
	if !measured && prev.audio != nil {
		// No audio since the last line (the end of the run): keep the last reading.
		sources, master = prev.audio, prev.master
	}
	s.Audio.Sources, s.Audio.Master = sources, master
	s.ProgramFilters = e.program.State()
	s.Scenes = e.Scenes()
	s.Scene = s.Scenes[e.src.Active()]
	interval := now.Sub(prev.at).Seconds()
	if prev.srcFrames == nil {
		prev.srcFrames = make([]int64, len(e.src.sources))
	}
	for i, ps := range e.src.sources {
		n := ps.frames.Load()
		st := stats.Source{Name: ps.name, Kind: ps.kind, State: ps.state.Load().(string), Error: ps.errMsg.Load().(string),
			Filters: ps.chain.State()}
		if m, ok := ps.src.(source.Monitored); ok && !ps.down() {
			// A capture device: its own picture rate, on air or not, and
			// when it is in trouble, the source holds its picture and says why.
			ds := m.Status()
			n = ds.Pictures
			if ds.Stalled {
				st.State, st.Error = stats.SourceStalled, ds.Err
			}
		}
		if interval > 0 {
			st.FPS = round1(float64(n-prev.srcFrames[i]) / interval)
		}
		prev.srcFrames[i] = n
		s.Sources = append(s.Sources, st)
	}
	outs := *e.outputs.Load()
	s.Outputs = make([]stats.Output, 0, len(outs))
	sent := make(map[*output.Output]int64, len(outs)) // outputs gone since are forgotten
	for _, o := range outs {
		os := o.Snapshot()
		os.BitrateKbps = round1(rate(os.BytesSent*8, base.outBytes[o]*8) / 1000)
		sent[o] = os.BytesSent
		s.Outputs = append(s.Outputs, os)
	}
	for _, r := range e.src.returns {
		os := r.feed.Snapshot()
		os.BitrateKbps = round1(rate(os.BytesSent*8, base.feedBytes[r]*8) / 1000)
		prev.feedBytes[r] = os.BytesSent
		s.Outputs = append(s.Outputs, os)
	}
	prev.outBytes = sent
	if ps, ok := procstat.Read(); ok {
		if !prev.proc.At.IsZero() {
			s.Process.CPUPercent = round1(procstat.CPUPercent(prev.proc, ps))
		}
		s.Process.RSSMB = round1(float64(ps.RSS) / (1 << 20))
		prev.proc = ps
	}
	prev.at, prev.frames, prev.encoded, prev.nanos, prev.videoByte = now, frames, encoded, nanos, vbytes
	prev.audio, prev.master = sources, master
	e.cfg.OnStats(s)
}

// adaptLoop runs adaptive bitrate: twice a second it samples every live
// RTMP destination and moves the encoder's target. With no destination at
// all (the stream stopped, or every one failed for good) it goes back to
// the preset's bitrate, for the recording and the next stream.
func (e *Engine) adaptLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(encode.AdaptiveInterval)
	defer t.Stop()
	// A link counts from its second live sample on: the frames it drops
	// while waiting for its first keyframe (going live, or back from a
	// reconnect) are the start of a stream, not congestion.
	type seen struct {
		bytes, dropped int64
		live           bool
	}
	last, next := map[*output.Output]seen{}, map[*output.Output]seen{}
	lastAt := time.Now()
	var links []encode.LinkSample
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			dt := now.Sub(lastAt).Seconds()
			lastAt = now
			links = links[:0]
			clear(next)
			outs := *e.links.Load()
			if !slices.ContainsFunc(outs, func(o *output.Output) bool { return o.State() != stats.StateFailed }) {
				e.abr.Reset()
				e.target.Store(e.abr.Target())
			}
			for _, o := range outs {
				s := o.Snapshot()
				live := s.State == stats.StateLive
				next[o] = seen{s.BytesSent, s.FramesDropped, live}
				prev, known := last[o]
				if !live || !known || !prev.live || dt <= 0 {
					continue
				}
				links = append(links, encode.LinkSample{
					Queue: time.Duration(s.QueueMs) * time.Millisecond,
					Bps:   float64(s.BytesSent-prev.bytes) * 8 / dt,
					Drops: s.FramesDropped - prev.dropped,
				})
			}
			last, next = next, last
			before := e.abr.Target()
			clock, _ := e.clock.Now()
			if bps, changed := e.abr.Sample(clock, links); changed {
				e.target.Store(bps)
				if bps < before {
					e.cfg.Logf("adaptive bitrate: the link is congested; video %s → %s",
						presets.Bitrate(before), presets.Bitrate(bps))
				} else {
					e.cfg.Logf("adaptive bitrate: the link keeps up; video %s → %s",
						presets.Bitrate(before), presets.Bitrate(bps))
				}
			}
		}
	}
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// Close frees the sources, encoders and preview. Call after Run returns.
// The controls stay callable (a console may still be refreshing): meters
// and the preview then read what they last held.
func (e *Engine) Close() {
	e.closeOnce.Do(func() {
		if e.abortOuts != nil {
			e.abortOuts()
		}
		if e.src != nil {
			e.src.Close()
		}
		if e.program != nil {
			e.program.Close()
		}
		if e.venc != nil {
			e.venc.Close()
		}
		if e.aenc != nil {
			e.aenc.Close()
		}
		if e.prev != nil {
			e.prev.close()
		}
	})
}
