package source

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/asticode/go-astiav"
	"github.com/gen2brain/malgo"

	"studio/pipeline/device"
)

// audioCapture records from a capture device (a microphone, or desktop
// audio through a PulseAudio/PipeWire monitor) through malgo, at the
// device's own rate, and converts it to program audio on the program clock
// (see audioConverter). A device that stops delivering or disappears is
// reopened in the background; meanwhile Live plays silence.
type audioCapture struct {
	name  string // `audio "studio_test.monitor"`
	spec  string // what the preset asked for
	out   Format
	clock *Clock
	logf  func(string, ...any)

	// backends the device is found through: the sound server's when one
	// answered at the first start, so that retries do not probe the rest.
	backends []malgo.Backend

	mu        sync.Mutex
	ctx       *malgo.AllocatedContext // one per device session
	dev       *malgo.Device
	conv      *audioConverter
	q         frameQueue // converted blocks, oldest first
	lastData  time.Time  // when the device last delivered (or was started)
	delivered bool       // it has delivered since it was started
	stopped   bool       // the device stopped by itself (unplugged, server gone)
	errMsg    string
	closing   bool
	convErr   error // the conversion failed: the session is over
	// session numbers device sessions: a device abandoned by freeAudio
	// that wakes up again must not feed the next session's converter.
	session int

	// queueFn is queue, bound once: the capture thread must not allocate.
	queueFn func(*astiav.Frame)
	// arrived wakes a waiting Read when a block is queued.
	arrived chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

// audioQueueMax bounds the blocks kept for a reader (about a second): a
// source that is off air does not pile up audio.
const audioQueueMax = 48

// openAudioCapture opens the device named by spec ("default", an index, a
// name or part of one) and starts capturing. Errors name the device and
// list the ones that exist.
func openAudioCapture(spec string, out Format, clock *Clock, logf func(string, ...any)) (*audioCapture, error) {
	a := &audioCapture{name: fmt.Sprintf("audio %q", spec), spec: spec, out: out, clock: clock, logf: logf,
		arrived: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	a.queueFn = a.queue
	if device.SoundServerRunning() {
		a.backends = device.SoundServer
	}
	if err := a.start(); err != nil {
		return nil, err
	}
	go a.supervise()
	return a, nil
}

// start finds and opens the device and starts it, in a context of its
// own: a context that talked to a sound server that has since restarted
// is of no use.
func (a *audioCapture) start() error {
	ctx, err := device.NewAudioContextWith(a.backends)
	if err != nil {
		return fmt.Errorf("audio: %w", err)
	}
	info, id, err := device.FindAudioInputIn(ctx, a.spec)
	if err != nil {
		freeAudio(nil, ctx)
		return err
	}
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.Format = malgo.FormatF32
	// malgo mixes or duplicates channels to the program's count (a mono
	// microphone plays on both sides); the rate stays the device's own and
	// FFmpeg converts it along with the drift.
	cfg.Capture.Channels = uint32(a.out.Channels)
	if a.spec != "default" {
		cfg.Capture.DeviceID = id.Pointer()
	}
	cfg.SampleRate = 0
	cfg.PeriodSizeInMilliseconds = 10
	a.mu.Lock()
	a.session++
	session := a.session
	a.mu.Unlock()
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{
		Data: func(_, input []byte, frames uint32) { a.onData(session, input, frames) },
		Stop: func() { a.onStop(session) },
	})
	if err != nil {
		freeAudio(nil, ctx)
		return fmt.Errorf("audio device %q (%s): %w", a.spec, info.Name, err)
	}
	conv := newAudioConverter(int(dev.SampleRate()), a.out)
	a.mu.Lock()
	a.ctx, a.dev, a.conv, a.stopped, a.lastData, a.delivered, a.convErr = ctx, dev, conv, false, time.Now(), false, nil
	a.mu.Unlock()
	if err := dev.Start(); err != nil {
		a.stopDevice()
		return fmt.Errorf("start audio device %q (%s): %w", a.spec, info.Name, err)
	}
	return nil
}

// onData runs on malgo's capture thread for each device buffer.
func (a *audioCapture) onData(session int, input []byte, frames uint32) {
	if frames == 0 || len(input) < int(frames)*a.out.Channels*4 {
		return
	}
	now, started := a.clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conv == nil || a.closing || session != a.session || a.stopped {
		return
	}
	a.lastData, a.delivered = time.Now(), true
	if !started {
		return // the program has not started: nothing to stamp it with
	}
	samples := unsafe.Slice((*float32)(unsafe.Pointer(&input[0])), int(frames)*a.out.Channels)
	if err := a.conv.push(samples, int(frames), now, a.queueFn); err != nil {
		// The supervisor reopens the device (and says why, once).
		a.convErr, a.stopped = err, true
		return
	}
	select {
	case a.arrived <- struct{}{}:
	default:
	}
}

// queue keeps a reference to a converted block. Call with mu held.
func (a *audioCapture) queue(f *astiav.Frame) {
	slot := a.q.slot()
	if err := slot.Ref(f); err != nil {
		a.q.drop(slot)
		return
	}
	a.q.push(slot)
	for a.q.len() > audioQueueMax {
		a.q.drop(a.q.pop()) // off air: nobody reads; only the newest second is kept
	}
}

func (a *audioCapture) onStop(session int) {
	a.mu.Lock()
	if session == a.session {
		a.stopped = true
	}
	a.mu.Unlock()
}

// supervise reopens the device when it stopped by itself or has sent
// nothing for a while, with the same backoff as video devices.
func (a *audioCapture) supervise() {
	defer close(a.done)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	wait, next := captureRetryFirst, time.Time{}
	for {
		select {
		case <-a.quit:
			return
		case <-tick.C:
		}
		a.mu.Lock()
		silent := time.Since(a.lastData)
		down := a.stopped || a.dev == nil
		convErr := a.convErr
		a.mu.Unlock()
		if !down && silent < 4*time.Second {
			continue
		}
		if next.IsZero() {
			reason := "the device stopped"
			switch {
			case convErr != nil:
				reason = convErr.Error()
			case !down:
				reason = fmt.Sprintf("the device sent nothing for %s", silent.Round(time.Second))
			}
			a.setErr(fmt.Sprintf("%s: %s", a.name, reason))
			next = time.Now()
		}
		if time.Now().Before(next) {
			continue
		}
		a.stopDevice()
		if err := a.start(); err != nil {
			a.setErr(fmt.Sprintf("%s: %v", a.name, err))
			next = time.Now().Add(wait)
			wait = min(time.Duration(float64(wait)*1.5), captureRetryMax)
			continue
		}
		a.setErr("")
		a.logf("%s: capturing again", a.name)
		wait, next = captureRetryFirst, time.Time{}
	}
}

// setErr records the device's trouble, logging a new reason once.
func (a *audioCapture) setErr(msg string) {
	a.mu.Lock()
	changed := a.errMsg != msg
	a.errMsg = msg
	a.mu.Unlock()
	if changed && msg != "" {
		a.logf("%s (retrying)", msg)
	}
}

// stopDevice uninitialises the device and its context and drops the
// converter.
func (a *audioCapture) stopDevice() {
	a.mu.Lock()
	ctx, dev, conv := a.ctx, a.dev, a.conv
	a.ctx, a.dev, a.conv = nil, nil, nil
	a.mu.Unlock()
	// Never with mu held: Uninit waits for a running callback, which takes mu.
	if !freeAudio(dev, ctx) {
		a.logf("%s: the sound server did not let go of the device; leaving it behind", a.name)
	}
	if conv != nil {
		conv.close()
	}
}

// audioUninitTimeout bounds how long freeAudio waits: miniaudio's
// PulseAudio backend waits forever for a server that has died.
const audioUninitTimeout = 2 * time.Second

// freeAudio uninitialises a device and a context (either may be nil). It
// reports false when they did not finish within audioUninitTimeout; they
// are then abandoned (a small leak, once per lost server) rather than
// hanging the capture and, at the end, the whole program.
func freeAudio(dev *malgo.Device, ctx *malgo.AllocatedContext) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if dev != nil {
			dev.Uninit()
		}
		if ctx != nil {
			_ = ctx.Uninit()
			ctx.Free()
		}
	}()
	select {
	case <-done:
		return true
	case <-time.After(audioUninitTimeout):
		return false
	}
}

// next pops the oldest block at or after sample pts (older ones are
// dropped: silence already stood in for them), or nil. The caller owns it
// until recycle or unread.
func (a *audioCapture) next(pts int64) *astiav.Frame {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.q.len() > 0 && a.q.head().Pts() < pts {
		a.q.drop(a.q.pop())
	}
	if a.q.len() == 0 {
		return nil
	}
	return a.q.pop()
}

// unread puts a block taken by next back at the front.
func (a *audioCapture) unread(f *astiav.Frame) {
	a.mu.Lock()
	a.q.items = append(a.q.items, nil)
	copy(a.q.items[1:], a.q.items)
	a.q.items[0] = f
	a.mu.Unlock()
}

// recycle takes back a block the reader is done with.
func (a *audioCapture) recycle(f *astiav.Frame) {
	a.mu.Lock()
	a.q.drop(f)
	a.mu.Unlock()
}

// status is the device's trouble ("" while it delivers).
func (a *audioCapture) status() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Some servers take a second or two to deliver the first buffer.
	limit := stallAfter
	if !a.delivered {
		limit = 3 * time.Second
	}
	if a.errMsg == "" && time.Since(a.lastData) > limit {
		return fmt.Sprintf("%s: no sound from the device for %s", a.name, time.Since(a.lastData).Round(100*time.Millisecond))
	}
	return a.errMsg
}

// close stops the device and frees everything.
func (a *audioCapture) close() {
	close(a.quit)
	<-a.done
	a.mu.Lock()
	a.closing = true
	a.mu.Unlock()
	a.stopDevice()
	a.q.close()
}
