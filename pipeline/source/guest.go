package source

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"studio/pipeline/media"
	"studio/presets"
)

// GuestConfig says which guest to pull and what to deliver.
type GuestConfig struct {
	// Name is how logs and status name the guest ("guest1").
	Name string
	// URL is the pull URL: anything FFmpeg's demuxers open (rtmp://,
	// srt://, http://…/x.flv). Every message shows it with its secrets
	// masked (presets.MaskURL).
	URL string
	// Format is the program format to deliver (a zero sample rate or
	// channel count means 48 kHz stereo).
	Format Format
	// Clock is the program clock; nil gives the guest a clock of its own.
	Clock *Clock
	// Jitter is the jitter buffer depth: how long after it arrives a
	// frame is shown (DefaultGuestJitter when zero).
	Jitter time.Duration
	// StaleAfter without pictures clears the tile: the held picture gives
	// way to the placeholder (StaleAfter, the preset's stale_ms, when zero).
	StaleAfter time.Duration
	// Placeholder is the caption of the picture shown while the tile is
	// cleared ("<Name> reconnecting…" when empty).
	Placeholder string
	// Timeout is how long an open or a read may wait for data before the
	// connection is dropped and made again (DefaultGuestTimeout when zero).
	Timeout time.Duration
	// Options are extra FFmpeg options for opening the URL (an SRT
	// passphrase, a larger probe); they override the guest's own.
	Options map[string]string
	// Logf receives the guest's log lines (nil: none).
	Logf func(format string, args ...any)
}

// Guest timings.
const (
	// DefaultGuestTimeout bounds an open or a read without data.
	DefaultGuestTimeout = 5 * time.Second
	// guestRetryFirst and guestRetryMax: the first reconnect after a
	// quarter second, doubling up to 2 s.
	guestRetryFirst = 250 * time.Millisecond
	guestRetryMax   = 2 * time.Second
	// guestStable is how long a connection must have lasted for the next
	// reconnect to start from the first retry delay again.
	guestStable = 5 * time.Second
	// guestCloseTimeout bounds how long Close waits for the connection
	// goroutine (a protocol that ignores the interrupt callback).
	guestCloseTimeout = 2 * time.Second
)

// placeholderColor is the background of the cleared tile.
const placeholderColor = "#202020"

// Guest is a remote co-host pulled from a URL into the program. A
// background goroutine connects, reads, decodes and converts, and feeds a
// jitter buffer (see guestBuffer for how a guest's time becomes program
// time); whenever the connection ends (the publisher left, the network
// failed, the server restarted, a new publisher took over the stream) it
// connects again with backoff, until Close.
//
// Read delivers frames on the program clock like Live and never waits for
// the network: each video tick shows the newest picture that is due,
// holds the last one while none is newer, and after StaleAfter without
// pictures shows a placeholder picture (dark grey, captioned) until
// pictures come back; audio blocks play at their program time, with
// silence when none is due. Before the first picture, the placeholder is
// shown too.
type Guest struct {
	format  Format
	clock   *Clock
	name    string
	url     string
	shown   string // url with its secrets masked
	opts    map[string]string
	timeout time.Duration
	stale   time.Duration
	logf    func(string, ...any)

	buf    *guestBuffer
	cursor // where the next frames go on the program clock (Read's goroutine)

	// Read's side.
	held        *astiav.Frame // the picture on show; nil: the placeholder
	placeholder *astiav.Frame
	silence     *astiav.Frame
	handout     *Handout      // held, placeholder and silence go out through it
	current     *astiav.Frame // the audio block handed out by the last Read
	timer       *time.Timer
	arrived     chan struct{} // a block was queued: wakes a Read waiting for audio

	// The connection's side.
	mu       sync.Mutex
	intr     astiav.IOInterrupter // of the connection being made or read
	closing  bool
	errMsg   string // why the guest is not connected; "" while it is
	openedAt time.Time

	connected  atomic.Bool
	cleared    atomic.Bool
	reconnects atomic.Int64
	pictures   atomic.Int64
	corrupt    atomic.Int64
	stop       chan struct{}
	done       chan struct{}
}

// OpenGuest starts pulling a guest. It returns at once: connecting
// happens in the background, and the guest may join later. It fails only
// on a config it cannot work with.
func OpenGuest(cfg GuestConfig) (_ *Guest, err error) {
	f := cfg.Format
	f.SampleRate, f.Channels = audioDefaults(f.SampleRate, f.Channels)
	if cfg.URL == "" {
		return nil, errors.New("guest: no URL")
	}
	if f.Width <= 0 || f.Height <= 0 || f.FrameRate.Num() <= 0 || f.FrameRate.Den() <= 0 {
		return nil, fmt.Errorf("guest %s: program format %dx%d at %s is not usable", cfg.Name, f.Width, f.Height, f.FrameRate)
	}
	if cfg.Name == "" {
		cfg.Name = "guest"
	}
	if cfg.Jitter <= 0 {
		cfg.Jitter = DefaultGuestJitter
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = StaleAfter
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultGuestTimeout
	}
	if cfg.Placeholder == "" {
		cfg.Placeholder = cfg.Name + " reconnecting…"
	}
	if cfg.Clock == nil {
		cfg.Clock = &Clock{}
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	shown := presets.MaskURL(cfg.URL)
	g := &Guest{format: f, clock: cfg.Clock, name: cfg.Name, url: cfg.URL, shown: shown,
		opts: guestOptions(cfg.URL, cfg.Timeout, cfg.Options), timeout: cfg.Timeout, stale: cfg.StaleAfter, logf: cfg.Logf,
		buf: newGuestBuffer(f, cfg.Jitter), handout: NewHandout(), timer: time.NewTimer(time.Hour),
		arrived: make(chan struct{}, 1), errMsg: fmt.Sprintf("%s (%s): connecting", cfg.Name, shown),
		openedAt: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	g.timer.Stop()
	g.cleared.Store(true)
	defer func() {
		if err != nil {
			g.free(true)
		}
	}()
	if g.placeholder, err = placeholderPicture(f, cfg.Placeholder); err != nil {
		return nil, fmt.Errorf("guest %s: %w", cfg.Name, err)
	}
	if g.silence, err = SilentBlock(f); err != nil {
		return nil, fmt.Errorf("guest %s: %w", cfg.Name, err)
	}
	go g.run()
	return g, nil
}

// placeholderPicture is the picture of a cleared tile: the program size,
// dark grey, with the caption in the middle.
func placeholderPicture(f Format, caption string) (*astiav.Frame, error) {
	tp, err := NewTestPatternLook(f, PatternLook{Pattern: "color", Color: placeholderColor, Text: caption, NoClock: true})
	if err != nil {
		return nil, fmt.Errorf("placeholder: %w", err)
	}
	defer tp.Close()
	for {
		fr, err := tp.Read()
		if err != nil {
			return nil, fmt.Errorf("placeholder: %w", err)
		}
		if fr.Kind != media.Video {
			continue
		}
		p := astiav.AllocFrame()
		if err := p.Ref(fr.AV); err != nil {
			p.Free()
			return nil, fmt.Errorf("placeholder: %w", err)
		}
		return p, nil
	}
}

// Format implements Source.
func (g *Guest) Format() Format { return g.format }

// CorruptPackets implements Source: packets that failed to decode.
func (g *Guest) CorruptPackets() int64 { return g.corrupt.Load() }

// Connected reports whether the guest is connected (its URL open and read).
func (g *Guest) Connected() bool { return g.connected.Load() }

// Reconnects counts the connections made after the first was lost.
func (g *Guest) Reconnects() int64 { return g.reconnects.Load() }

// Reanchors counts the times the guest's time was mapped to the program's
// again because it drifted or stalled (see guestBuffer).
func (g *Guest) Reanchors() int64 { return g.buf.reanchored() }

// Cleared reports whether the tile shows the placeholder (as of the last
// video frame Read delivered; true before the first).
func (g *Guest) Cleared() bool { return g.cleared.Load() }

// Status implements Monitored: stalled while disconnected, or while no
// picture has come for a second.
func (g *Guest) Status() Status {
	st := Status{Pictures: g.pictures.Load()}
	g.mu.Lock()
	msg := g.errMsg
	g.mu.Unlock()
	if msg != "" {
		st.Stalled, st.Err = true, msg
		return st
	}
	now, started := g.clock.Now()
	since, some := g.buf.sincePicture(samplesOf(now, g.format.SampleRate))
	age := g.format.AudioTime(since)
	if !started || !some {
		age = time.Since(g.openedAt)
	}
	if age > stallAfter {
		st.Stalled, st.Err = true, fmt.Sprintf("%s (%s): no picture for %s", g.name, g.shown, age.Round(100*time.Millisecond))
	}
	return st
}

// Read implements Source: the next frame on the program clock, waiting
// for its time, never for the network.
func (g *Guest) Read() (Frame, error) {
	g.releaseAudio()
	g.clock.Start() // no-op when the engine started it
	now, _ := g.clock.Now()
	g.sync(g.format, now)
	for {
		tv := g.format.VideoTime(g.nextV)
		ta := g.format.AudioTime(g.nextA)
		if ta <= tv {
			if f := g.buf.takeAudio(g.nextA); f != nil {
				g.current = f
				return g.audioFrame(f, ta), nil
			}
			if now, _ = g.clock.Now(); now >= ta {
				return g.audioFrame(g.handout.Of(g.silence), ta), nil // missing or late: silence
			}
			g.sleep(ta-now, g.arrived) // its block may still come
			continue
		}
		if now, _ = g.clock.Now(); now >= tv {
			return g.videoFrame(tv, now), nil
		}
		g.sleep(tv-now, nil)
	}
}

// sleep waits for d, or until wake has something.
func (g *Guest) sleep(d time.Duration, wake chan struct{}) {
	g.timer.Reset(d)
	select {
	case <-g.timer.C:
	case <-wake:
		if !g.timer.Stop() {
			<-g.timer.C
		}
	}
}

// audioFrame hands out f as the block at nextA.
func (g *Guest) audioFrame(f *astiav.Frame, ta time.Duration) Frame {
	f.SetPts(g.nextA)
	fr := Frame{Kind: media.Audio, AV: f, PTS: g.nextA, Time: ta}
	g.nextA += AudioFrameSamples
	return fr
}

// videoFrame is the frame at nextV: the newest due picture, the held one,
// or the placeholder once pictures have stopped for StaleAfter.
func (g *Guest) videoFrame(tv, now time.Duration) Frame {
	held, took, since := g.buf.takeVideo(samplesOf(tv, g.format.SampleRate), samplesOf(now, g.format.SampleRate), g.held)
	g.held = held
	if !took && held != nil && since >= 0 && g.format.AudioTime(since) > g.stale {
		g.buf.recycle(held, true) // cleared: the held picture goes
		g.held = nil
	}
	pic := g.placeholder
	if g.held != nil {
		pic = g.held
	}
	g.cleared.Store(g.held == nil)
	out := g.handout.Of(pic)
	out.SetPts(g.nextV)
	fr := Frame{Kind: media.Video, AV: out, PTS: g.nextV, Time: tv}
	g.nextV++
	return fr
}

// releaseAudio gives the audio block of the previous Read back.
func (g *Guest) releaseAudio() {
	if g.current != nil {
		g.buf.recycle(g.current, false)
		g.current = nil
	}
}

// arrive wakes a Read waiting for an audio block.
func (g *Guest) arrive() {
	select {
	case g.arrived <- struct{}{}:
	default:
	}
}

func (g *Guest) stopped() bool {
	select {
	case <-g.stop:
		return true
	default:
		return false
	}
}

// register makes intr the one Close interrupts; false when closing.
func (g *Guest) register(intr astiav.IOInterrupter) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.intr = intr
	return true
}

// setErr records why the guest is not connected ("" when it is).
func (g *Guest) setErr(msg string) {
	g.mu.Lock()
	g.errMsg = msg
	g.mu.Unlock()
}

func (g *Guest) logReanchor() {
	g.logf("%s: re-anchored to the program clock (the guest stalled or drifted)", g.name)
}

// run connects, receives until the connection ends, and connects again
// with backoff, until Close.
func (g *Guest) run() {
	defer close(g.done)
	pkt, decoded, pulled := astiav.AllocPacket(), astiav.AllocFrame(), astiav.AllocFrame()
	defer pkt.Free()
	defer decoded.Free()
	defer pulled.Free()
	wait := guestRetryFirst
	connections := 0
	lastFail := ""
	for {
		in, err := openGuestInput(g.url, g.shown, g.opts, g.timeout, g.register)
		if err == nil {
			connections++
			if connections > 1 {
				g.reconnects.Add(1)
				g.logf("%s: connected to %s again", g.name, g.shown)
			} else {
				g.logf("%s: connected to %s", g.name, g.shown)
			}
			g.buf.connect()
			g.setErr("")
			g.connected.Store(true)
			began := time.Now()
			err = g.receive(in, pkt, decoded, pulled)
			g.connected.Store(false)
			in.close()
			if g.stopped() {
				return
			}
			lasted := time.Since(began)
			if lasted >= guestStable {
				wait = guestRetryFirst
			}
			msg := fmt.Sprintf("%s (%s): %v", g.name, g.shown, err)
			g.setErr(msg + "; reconnecting")
			g.logf("%s; reconnecting", msg)
			lastFail = ""
			var restarted errRestarted
			if errors.As(err, &restarted) && lasted >= time.Second {
				continue // a new publisher is sending: at once
			}
		} else {
			if g.stopped() || errors.Is(err, errGuestClosed) {
				return
			}
			msg := fmt.Sprintf("%s: %v", g.name, err)
			g.setErr(msg + " (retrying)")
			if msg != lastFail {
				g.logf("%s (retrying)", msg)
				lastFail = msg
			}
		}
		tm := time.NewTimer(wait)
		select {
		case <-g.stop:
			tm.Stop()
			return
		case <-tm.C:
		}
		wait = min(2*wait, guestRetryMax)
	}
}

// Close implements Source: it stops the connection (cutting short an
// open or a read that is waiting for the network) and frees everything.
// Closing again does nothing.
func (g *Guest) Close() {
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		return
	}
	g.closing = true
	if g.intr != nil {
		g.intr.Interrupt()
	}
	g.mu.Unlock()
	close(g.stop)
	select {
	case <-g.done:
	case <-time.After(guestCloseTimeout):
		// Left behind with what it holds: a leak, not a hang.
		g.logf("%s: the connection did not stop within %s; leaving it behind", g.name, guestCloseTimeout)
		g.free(false)
		return
	}
	g.free(true)
}

// free frees what Read holds and, with buffer, the buffer (which a
// connection left behind may still be filling).
func (g *Guest) free(buffer bool) {
	g.releaseAudio()
	if g.held != nil {
		g.buf.recycle(g.held, true)
		g.held = nil
	}
	if buffer {
		g.buf.close()
	}
	for _, f := range []*astiav.Frame{g.placeholder, g.silence} {
		if f != nil {
			f.Free()
		}
	}
	g.placeholder, g.silence = nil, nil
	g.handout.Free()
	g.handout = nil
}
