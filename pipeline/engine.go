// Package pipeline is the engine: it wires one source through the encoders
// to every output on one program clock, and publishes Stats snapshots. It
// knows nothing about the console or the command line.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

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
	CAFile  string
}

// Config is everything one run needs; the command line builds it from the
// preset and flags.
type Config struct {
	Preset *presets.Preset
	// Input overrides the preset's source: "testsrc", a path or a URL.
	Input string
	Loop  bool
	// Destinations are RTMP targets; RecordPath adds a local FLV recording.
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
}

// ErrAllOutputsFailed is returned when every output has failed for good.
var ErrAllOutputsFailed = errors.New("every output failed")

// Engine runs one broadcast.
type Engine struct {
	cfg     Config
	src     source.Source
	venc    *encode.Encoder
	aenc    *encode.Encoder
	outputs []*output.Output
	il      interleaver
	header  media.StreamHeader

	start         time.Time
	framesSkipped atomic.Int64
	encodeNanos   atomic.Int64
	videoBytes    atomic.Int64

	meterMu sync.Mutex
	meter   levelMeter
	// audioName names the program audio in stats.
	audioName string
}

// Open prepares the source, encoders and outputs without sending anything.
// Errors here are the user's input (missing file, bad codec) and come before
// going live.
func Open(cfg Config) (_ *Engine, err error) {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	routeFFmpegLogs(cfg.Logf)
	e := &Engine{cfg: cfg, audioName: "program"}
	if cfg.Input == "testsrc" || (cfg.Input == "" && cfg.Preset.Source.Kind == "testsrc") {
		e.audioName = "tone"
	}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	src, err := openSource(cfg)
	if err != nil {
		return nil, err
	}
	e.src = src
	f := e.src.Format()
	p := cfg.Preset
	if e.venc, err = encode.NewVideo(encode.VideoConfig{
		Width: f.Width, Height: f.Height, FrameRate: f.FrameRate,
		BitrateBps: int64(p.Video.Bitrate), KeyintS: p.Video.KeyintS,
		Preset: p.Video.Preset, Tune: p.Video.Tune, Profile: p.Video.Profile,
	}); err != nil {
		return nil, err
	}
	if e.aenc, err = encode.NewAudio(encode.AudioConfig{
		SampleRate: f.SampleRate, Channels: f.Channels, BitrateBps: int64(p.Audio.Bitrate),
	}); err != nil {
		return nil, err
	}
	e.header = media.StreamHeader{
		AVCConfig: e.venc.ExtraData(), AudioConfig: e.aenc.ExtraData(),
		Width: f.Width, Height: f.Height, FrameRate: f.FrameRate.Float64(),
		VideoBitrateKbps: p.Video.Bitrate.Kbps(), AudioBitrateKbps: p.Audio.Bitrate.Kbps(),
		AudioSampleRate: f.SampleRate, AudioChannels: f.Channels,
		Encoder: "studio " + Version,
	}
	for _, d := range cfg.Destinations {
		queue := time.Duration(d.QueueMs) * time.Millisecond
		if queue <= 0 {
			queue = time.Duration(presets.DefaultQueueMs) * time.Millisecond
		}
		sink := &output.RTMP{URL: d.URL, CAFile: d.CAFile}
		e.outputs = append(e.outputs, output.New(d.Name, presets.MaskURL(d.URL), sink, queue, output.DefaultPolicy, cfg.Logf))
	}
	if cfg.RecordPath != "" {
		rec := &output.Recorder{Path: cfg.RecordPath}
		// A recording is never reopened: that would truncate what it holds.
		once := output.Policy{FirstTries: 1, RejectTries: 1}
		e.outputs = append(e.outputs, output.New("recording", cfg.RecordPath, rec, 30*time.Second, once, cfg.Logf))
	}
	return e, nil
}

func openSource(cfg Config) (source.Source, error) {
	p := cfg.Preset
	input := cfg.Input
	if input == "" {
		input = p.Source.Input
		if p.Source.Kind == "testsrc" {
			input = "testsrc"
		}
	}
	rate := astiav.NewRational(p.Video.FPS.Num, p.Video.FPS.Den)
	if input == "testsrc" {
		w, h := p.Video.Size.Width, p.Video.Size.Height
		if w == 0 {
			w, h = 1280, 720
		}
		if rate.Num() == 0 {
			rate = astiav.NewRational(30, 1)
		}
		t, err := source.NewTestPatternFormat(source.Format{Width: w, Height: h, FrameRate: rate,
			SampleRate: p.Audio.SampleRate, Channels: p.Audio.Channels})
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return t, nil
	}
	f, err := source.OpenFile(source.FileConfig{
		Input: input, Loop: cfg.Loop || p.Source.Loop,
		Width: p.Video.Size.Width, Height: p.Video.Size.Height,
		MaxWidth: p.Video.MaxSize.Width, MaxHeight: p.Video.MaxSize.Height,
		FrameRate: rate, MaxFrameRate: p.Video.MaxFPS.Float(),
		SampleRate: p.Audio.SampleRate, Channels: p.Audio.Channels,
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Format is the program format.
func (e *Engine) Format() source.Format { return e.src.Format() }

// Run streams until the input ends, the duration is reached, ctx is
// cancelled (a clean stop) or every output has failed (an error).
func (e *Engine) Run(ctx context.Context) error {
	outCtx, abortOutputs := context.WithCancel(context.Background())
	defer abortOutputs()
	for _, o := range e.outputs {
		o.Start(outCtx, e.header)
	}
	e.il.emit = e.fanOut
	e.start = time.Now()

	statsDone := make(chan struct{})
	statsStop := make(chan struct{})
	go e.statsLoop(statsStop, statsDone)

	allFailed := e.watchOutputs()
	runErr := e.loop(ctx, allFailed)

	// Flush: encoders → interleaver → outputs, then let each output drain.
	if err := e.venc.Encode(nil, e.il.push); err != nil && runErr == nil {
		runErr = err
	}
	if err := e.aenc.Encode(nil, e.il.push); err != nil && runErr == nil {
		runErr = err
	}
	e.il.flush()
	deadline := time.Now().Add(5 * time.Second)
	for _, o := range e.outputs {
		if !o.Stop(time.Until(deadline)) {
			e.cfg.Logf("%s: did not finish sending within 5s; closing it", o.Name())
		}
	}
	abortOutputs()
	for _, o := range e.outputs {
		<-o.Done()
	}
	close(statsStop)
	<-statsDone
	if runErr == nil && len(e.outputs) > 0 && e.countFailed() == len(e.outputs) {
		runErr = e.failure()
	}
	return runErr
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
		if fr.Kind == media.Video {
			t0 := time.Now()
			err = e.venc.Encode(fr.AV, push)
			e.encodeNanos.Add(int64(time.Since(t0)))
		} else {
			e.meterMu.Lock()
			e.meter.add(fr.AV, f.Channels)
			e.meterMu.Unlock()
			err = e.aenc.Encode(fr.AV, push)
		}
		if err != nil {
			return err
		}
	}
}

// fanOut gives every output its own reference to p.
func (e *Engine) fanOut(p *media.Packet) {
	if p.Kind == media.Video {
		e.videoBytes.Add(int64(len(p.Data)))
	}
	for _, o := range e.outputs {
		p.Retain()
		o.Push(p)
	}
	p.Release()
}

// watchOutputs closes the returned channel when every output has failed.
func (e *Engine) watchOutputs() <-chan struct{} {
	ch := make(chan struct{})
	if len(e.outputs) == 0 {
		return ch
	}
	go func() {
		for _, o := range e.outputs {
			<-o.Done()
		}
		if e.countFailed() == len(e.outputs) {
			close(ch)
		}
	}()
	return ch
}

func (e *Engine) countFailed() int {
	n := 0
	for _, o := range e.outputs {
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
	for _, o := range e.outputs {
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
	nanos     int64
	videoByte int64
	outBytes  map[string]int64
	peak, rms float64
}

func (e *Engine) publish(prev *snapshotState, final bool) {
	if e.cfg.OnStats == nil {
		return
	}
	now := time.Now()
	if prev.at.IsZero() {
		prev.at = e.start
		prev.outBytes = map[string]int64{}
		prev.peak, prev.rms = -120, -120
	}
	// Rates are over the last interval; the final line covers the whole run,
	// since its interval is a fraction of a second that holds the flush.
	base := *prev
	if final {
		base = snapshotState{at: e.start, outBytes: map[string]int64{}}
	}
	dt := now.Sub(base.at).Seconds()
	rate := func(now, before int64) float64 {
		if dt <= 0 {
			return 0
		}
		return float64(now-before) / dt
	}
	frames, nanos, vbytes := e.venc.Frames(), e.encodeNanos.Load(), e.videoBytes.Load()
	f := e.src.Format()
	s := stats.Stats{
		Time: now.UTC(), UptimeS: round1(now.Sub(e.start).Seconds()), Final: final,
		Video: stats.Video{
			Width: f.Width, Height: f.Height, FramesEncoded: frames,
			FramesSkipped: e.framesSkipped.Load(), CorruptInput: e.src.CorruptPackets(),
			FPS: round1(rate(frames, base.frames)), BitrateKbps: round1(rate(vbytes*8, base.videoByte*8) / 1000),
		},
		Audio:   stats.Audio{SampleRate: f.SampleRate, Channels: f.Channels},
		Outputs: make([]stats.Output, 0, len(e.outputs)),
	}
	if n := frames - base.frames; n > 0 {
		s.Video.EncodeMs = round1(float64(nanos-base.nanos) / float64(n) / 1e6)
	}
	e.meterMu.Lock()
	peak, rms, measured := e.meter.take()
	e.meterMu.Unlock()
	if !measured { // no audio since the last line (the end of the run): keep the last reading
		peak, rms = prev.peak, prev.rms
	}
	s.Audio.Sources = []stats.AudioSource{{Name: e.audioName, PeakDBFS: peak, RMSDBFS: rms}}
	for _, o := range e.outputs {
		os := o.Snapshot()
		os.BitrateKbps = round1(rate(os.BytesSent*8, base.outBytes[os.Name]*8) / 1000)
		prev.outBytes[os.Name] = os.BytesSent
		s.Outputs = append(s.Outputs, os)
	}
	prev.at, prev.frames, prev.nanos, prev.videoByte, prev.peak, prev.rms = now, frames, nanos, vbytes, peak, rms
	e.cfg.OnStats(s)
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// Close frees the source and encoders. Call after Run returns.
func (e *Engine) Close() {
	if e.src != nil {
		e.src.Close()
		e.src = nil
	}
	if e.venc != nil {
		e.venc.Close()
		e.venc = nil
	}
	if e.aenc != nil {
		e.aenc.Close()
		e.aenc = nil
	}
}
