package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
	"studio/pipeline/encode"
	"studio/pipeline/media"
	"studio/pipeline/stats"
	"studio/presets"
)

// Defaults of AudioFeedConfig.
const (
	// DefaultFeedBitrate is an audio feed's AAC bitrate when none is given.
	DefaultFeedBitrate = 96_000
	// DefaultFeedQueueMs is an audio feed's queue limit when none is given.
	DefaultFeedQueueMs = 2000
)

// Errors of AudioFeed.Write.
var (
	// ErrFeedStopped: Write after Stop (the encoder has been flushed).
	ErrFeedStopped = errors.New("audio feed stopped")
	// ErrFeedClosed: Write after Close.
	ErrFeedClosed = errors.New("audio feed closed")
)

// AudioFeedConfig configures an AudioFeed.
type AudioFeedConfig struct {
	// Name names the feed in logs and stats, e.g. "guest1 return".
	Name string
	// URL is the rtmp:// or rtmps:// destination, stream key included. It
	// is shown masked (presets.MaskURL) in every message and stat.
	URL string
	// SampleRate and Channels (1 or 2) are the format of the blocks Write
	// takes and of the stream.
	SampleRate, Channels int
	// BitrateBps is the AAC bitrate; 0: DefaultFeedBitrate.
	BitrateBps int64
	// CAFile optionally adds a CA for an rtmps:// server with a private
	// certificate (as the preset's network.ca_file).
	CAFile string
	// QueueMs bounds how far behind live the feed may fall, in media time;
	// beyond it the oldest audio is dropped. 0: DefaultFeedQueueMs.
	QueueMs int
	// Encoder names the writing software in onMetaData; "": "studio".
	Encoder string
	// Logf receives warnings (free of secrets); nil: none.
	Logf func(string, ...any)
}

// AudioFeed is an audio-only AAC stream pushed by RTMP: a mix-minus return
// feed, which a remote guest plays to hear the program without their own
// voice. The engine hands it one planar-float block per AAC frame; it
// encodes the block and queues the packets for its Output, which connects,
// reconnects with backoff (forever: a guest's server may come and go),
// drops old audio when the link cannot keep up, and counts. Write never
// waits on the network.
//
// The stream starts at zero for the receiver whatever the program time of
// the first block (Output.JoinAt); after a reconnect it goes on with the
// program's timing, as the video destinations do.
//
// Write, Stop and Close may be called from different goroutines; Write is
// meant for the engine loop. Close after Stop (or on its own, to abort).
type AudioFeed struct {
	cfg       AudioFeedConfig
	masked    string
	header    media.StreamHeader
	out       *Output
	frameSize int
	// push is out.Push bound once, so that encoding allocates nothing.
	push func(*media.Packet)

	// mu guards the encoder and the lifecycle.
	mu      sync.Mutex
	enc     *encode.Encoder
	stopped bool
	started bool
	cancel  context.CancelFunc
}

// NewAudioFeed checks cfg and makes the AAC encoder and the output (an
// RTMP sink); nothing connects before Start. Its errors show the URL masked.
func NewAudioFeed(cfg AudioFeedConfig) (*AudioFeed, error) {
	if err := presets.CheckDestination(cfg.URL); err != nil {
		return nil, fmt.Errorf("audio feed %q: url: %w", cfg.Name, err)
	}
	sink := &feedSink{RTMP: &RTMP{URL: cfg.URL, CAFile: cfg.CAFile}, masked: presets.MaskURL(cfg.URL)}
	return newAudioFeed(cfg, sink)
}

// newAudioFeed is NewAudioFeed with any sink (tests).
func newAudioFeed(cfg AudioFeedConfig, sink Sink) (*AudioFeed, error) {
	if cfg.Name == "" {
		cfg.Name = "return"
	}
	if cfg.SampleRate <= 0 {
		return nil, fmt.Errorf("audio feed %q: sample rate must be > 0, not %d", cfg.Name, cfg.SampleRate)
	}
	if cfg.Channels != 1 && cfg.Channels != 2 {
		return nil, fmt.Errorf("audio feed %q: channels must be 1 or 2, not %d", cfg.Name, cfg.Channels)
	}
	if cfg.BitrateBps < 0 || cfg.QueueMs < 0 {
		return nil, fmt.Errorf("audio feed %q: bitrate and queue must not be negative", cfg.Name)
	}
	if cfg.BitrateBps == 0 {
		cfg.BitrateBps = DefaultFeedBitrate
	}
	if cfg.QueueMs == 0 {
		cfg.QueueMs = DefaultFeedQueueMs
	}
	if cfg.Encoder == "" {
		cfg.Encoder = "studio"
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	enc, err := encode.NewAudio(encode.AudioConfig{SampleRate: cfg.SampleRate, Channels: cfg.Channels, BitrateBps: cfg.BitrateBps})
	if err != nil {
		return nil, fmt.Errorf("audio feed %q: %w", cfg.Name, err)
	}
	f := &AudioFeed{cfg: cfg, masked: presets.MaskURL(cfg.URL), enc: enc, frameSize: enc.FrameSize()}
	f.header = media.StreamHeader{
		AudioConfig:      bytes.Clone(enc.ExtraData()),
		AudioBitrateKbps: float64(cfg.BitrateBps) / 1000,
		AudioSampleRate:  cfg.SampleRate, AudioChannels: cfg.Channels,
		Encoder: cfg.Encoder,
	}
	policy := DefaultPolicy
	policy.FirstTries = 0 // a guest's server may come and go: retry forever
	f.out = New(cfg.Name, f.masked, sink, DropPolicy{Limit: time.Duration(cfg.QueueMs) * time.Millisecond}, policy, cfg.Logf)
	// Audio-only from the first Write on, even before Start.
	f.out.queue.SetAudioOnly(true)
	// The receiver's stream starts at zero: the first packet is the AAC
	// encoder's first (priming included), so nothing comes before it.
	f.out.JoinAt(0)
	f.push = f.out.Push
	return f, nil
}

// Header is the stream header the feed publishes (audio only).
func (f *AudioFeed) Header() media.StreamHeader { return f.header }

// Start starts the output: it connects in the background and sends what
// Write queues. ctx ends it abruptly (Stop ends it cleanly). A second
// Start, or a Start after Stop or Close, does nothing.
func (f *AudioFeed) Start(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started || f.stopped || f.enc == nil {
		return
	}
	f.started = true
	octx, cancel := context.WithCancel(ctx)
	f.cancel = cancel
	f.out.Start(octx, f.header)
}

// Write encodes one planar-float block (fltp, NbSamples 1024 — the AAC
// frame —, the feed's channels; Pts in samples of program time) and queues
// the packets. It never waits on the network and allocates nothing in
// steady state. The block stays the caller's.
func (f *AudioFeed) Write(block *astiav.Frame) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.enc == nil:
		return ErrFeedClosed
	case f.stopped:
		return ErrFeedStopped
	}
	if err := f.check(block); err != nil {
		return err
	}
	if err := f.enc.Encode(block, f.push); err != nil {
		return fmt.Errorf("%s: %w", f.cfg.Name, err)
	}
	return nil
}

// check refuses a block the encoder would misread (FFmpeg's AAC encoder
// reads as many planes as it has channels, and takes a short block as the
// last one).
func (f *AudioFeed) check(b *astiav.Frame) error {
	if b == nil {
		return fmt.Errorf("%s: no block (Stop flushes the feed)", f.cfg.Name)
	}
	if n := b.NbSamples(); n != f.frameSize {
		return fmt.Errorf("%s: block of %d samples, want %d", f.cfg.Name, n, f.frameSize)
	}
	if sf := b.SampleFormat(); sf != astiav.SampleFormatFltp {
		return fmt.Errorf("%s: block in %s, want fltp", f.cfg.Name, sf)
	}
	// One plane per channel, and no more: read from the planes, since
	// astiav's Frame.ChannelLayout allocates a copy on every call.
	if ch := f.cfg.Channels; av.PlanarFloat(b, ch-1) == nil || av.PlanarFloat(b, ch) != nil {
		return fmt.Errorf("%s: block of %d channels, want %d", f.cfg.Name, b.ChannelLayout().NbChannels(), ch)
	}
	if r := b.SampleRate(); r != 0 && r != f.cfg.SampleRate {
		return fmt.Errorf("%s: block at %d Hz, want %d", f.cfg.Name, r, f.cfg.SampleRate)
	}
	return nil
}

// Stop flushes the encoder, then lets the output send what is queued and
// end the stream, for up to timeout; past it the output is cut off and
// Stop returns false. Write fails from here on. A feed never started has
// nothing to send: what Write queued is dropped.
func (f *AudioFeed) Stop(timeout time.Duration) bool {
	f.mu.Lock()
	if !f.stopped && f.enc != nil {
		f.stopped = true
		if err := f.enc.Encode(nil, f.push); err != nil {
			f.cfg.Logf("%s: flush: %v", f.cfg.Name, err)
		}
	}
	started, cancel := f.started, f.cancel
	f.mu.Unlock()
	if !started {
		f.out.queue.Close()
		f.out.queue.Discard()
		return true
	}
	if f.out.Stop(timeout) {
		return true
	}
	cancel()
	return false
}

// Done is closed when the output has ended for good (stopped, cut off, or
// failed: a publish rejected again and again); never before Start.
func (f *AudioFeed) Done() <-chan struct{} { return f.out.Done() }

// RetryNow cuts a wait between reconnect attempts short.
func (f *AudioFeed) RetryNow() { f.out.RetryNow() }

// Snapshot is the feed's line in the stats, like the other outputs':
// name, masked URL, state, bytes, frames (AAC frames), queue, reconnects,
// last error; the caller fills in the bitrate, as for every output.
func (f *AudioFeed) Snapshot() stats.Output { return f.out.Snapshot() }

// Close frees the encoder and aborts the output if it still runs (call
// Stop first for a clean end). Safe to call twice.
func (f *AudioFeed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.enc != nil {
		f.enc.Close()
		f.enc = nil
	}
	if f.cancel != nil {
		f.cancel()
	} else {
		f.out.queue.Close()
		f.out.queue.Discard()
	}
}

// feedSink is the feed's RTMP sink; its errors start with the masked
// destination, so the log line and last_error say which guest's server
// failed.
type feedSink struct {
	*RTMP
	masked string
}

// Open implements Sink.
func (s *feedSink) Open(ctx context.Context, h media.StreamHeader) error {
	if err := s.RTMP.Open(ctx, h); err != nil {
		return fmt.Errorf("%s: %w", s.masked, err)
	}
	return nil
}

// Write implements Sink.
func (s *feedSink) Write(p *media.Packet) error {
	if err := s.RTMP.Write(p); err != nil {
		return fmt.Errorf("%s: %w", s.masked, err)
	}
	return nil
}
