// Package output owns where encoded packets go: one Output per destination
// (RTMP publisher or local FLV recording), each with its own bounded queue
// and writer goroutine, so a slow or dead destination never blocks the
// encoder or the other outputs. An AudioFeed is an audio-only destination
// with an AAC encoder of its own: a guest's mix-minus return feed.
package output

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"studio/pipeline/media"
	"studio/pipeline/stats"
)

// Sink writes one stream to one place. All calls come from the output's
// single writer goroutine.
type Sink interface {
	// Open connects (or creates the file) and writes metadata and sequence headers.
	Open(ctx context.Context, h media.StreamHeader) error
	// Write sends one packet.
	Write(p *media.Packet) error
	// Close ends the stream cleanly (unpublish, close the file).
	Close() error
	// BytesWritten counts payload bytes delivered since creation.
	BytesWritten() int64
}

// PermanentError marks a failure that retrying will not fix (the server
// rejected the publish, the file cannot be created).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Policy says how an output retries.
type Policy struct {
	// FirstTries is how many times to try before the output has ever been
	// live; a destination that never worked is reported, not hammered.
	// 0: no limit (the console, where the streamer sees it and decides).
	FirstTries int
	// RejectTries caps consecutive permanent failures (rejected publish).
	RejectTries int
	// Backoff: first wait, growth factor and cap between tries.
	BackoffFirst time.Duration
	BackoffMax   time.Duration
}

// DefaultPolicy: 1 s, ×1.5 with jitter, capped at 30 s; 3 tries to get live
// the first time and at most 3 rejected publishes in a row.
var DefaultPolicy = Policy{FirstTries: 3, RejectTries: 3, BackoffFirst: time.Second, BackoffMax: 30 * time.Second}

// nextBackoff is the wait after wait: ×1.5, capped.
func (p Policy) nextBackoff(wait time.Duration) time.Duration {
	return min(time.Duration(float64(wait)*1.5), p.BackoffMax)
}

// jittered spreads a wait over ±15 % (r in [0,1)), so that many outputs
// cut off together do not knock on the server together, without ever
// waiting longer than the cap.
func (p Policy) jittered(wait time.Duration, r float64) time.Duration {
	return min(time.Duration(float64(wait)*(0.85+0.3*r)), p.BackoffMax)
}

// Output is one destination with its queue, writer goroutine and counters.
type Output struct {
	name   string
	url    string // masked, for stats and logs
	sink   Sink
	queue  *Queue
	policy Policy
	logf   func(format string, args ...any)

	state      atomic.Value // string
	framesSent atomic.Int64
	reconnects atomic.Int64
	everLive   atomic.Bool

	mu      sync.Mutex
	lastErr string

	// joining: the output joins a running program. It starts at a keyframe
	// (earlier audio is dropped, so sound and picture start together) and
	// its stream is moved so that keyframe is at rebaseTo.
	joining  bool
	rebaseTo time.Duration
	// audioOnly: the stream has no video (an audio-only header; writer
	// goroutine, set by Start). There are no keyframes to wait for: it
	// joins at its first packet, resumes at once after a reconnect, and
	// counts audio frames as frames sent.
	audioOnly bool
	// kick cuts a reconnect wait short; stopping ends it (Stop was called).
	kick     chan struct{}
	stopping chan struct{}
	stopOnce sync.Once
	// wantKeyframe asks the encoder for a keyframe, so that a destination
	// back from a reconnect resumes at once.
	wantKeyframe func()

	done chan struct{}
	err  error
}

// New makes an output; Start runs it. maskedURL must already be masked.
func New(name, maskedURL string, sink Sink, drops DropPolicy, policy Policy, logf func(string, ...any)) *Output {
	o := &Output{name: name, url: maskedURL, sink: sink, queue: NewQueue(drops), policy: policy, logf: logf,
		kick: make(chan struct{}, 1), stopping: make(chan struct{}), done: make(chan struct{})}
	o.state.Store(stats.StateConnecting)
	return o
}

// JoinAt makes the output join a running program: it starts with the
// first keyframe it gets (audio before it is dropped), whose presentation
// time becomes d, the rest following it: with d = encode.StartOffset the
// stream lies on the same grid as one that was there from the start
// (shifting by the decode time instead moved B-frame streams off it by the
// reorder delay, and ms-rounded FLV times then collide). For going live or recording from the
// console, where the program has been running for a while. Call before
// Start; ask the encoder for a keyframe so the wait is short. An
// audio-only output starts with its first packet instead.
func (o *Output) JoinAt(d time.Duration) { o.joining, o.rebaseTo = true, d }

// OnResync sets how the output asks for a keyframe when it resumes after a
// reconnect (the encoder's ForceKeyframe, by way of the engine). Call
// before Start.
func (o *Output) OnResync(wantKeyframe func()) { o.wantKeyframe = wantKeyframe }

// RetryNow cuts a wait between reconnect attempts short; it does nothing
// unless the output is waiting to reconnect.
func (o *Output) RetryNow() {
	if o.State() != stats.StateReconnecting {
		return
	}
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// State is the output's current state (stats.State*).
func (o *Output) State() string { return o.state.Load().(string) }

// Name is the output's name.
func (o *Output) Name() string { return o.name }

// Push hands a packet to the output without blocking; the output takes over
// one reference.
func (o *Output) Push(p *media.Packet) {
	select {
	case <-o.done:
		p.Release()
	default:
		o.queue.Push(p)
	}
}

// Done is closed when the output has stopped for good; Err then says why
// (nil after a clean stop).
func (o *Output) Done() <-chan struct{} { return o.done }

// Err is the reason the output failed, after Done.
func (o *Output) Err() error { return o.err }

// Start runs the writer goroutine until ctx is cancelled (abort) or Stop
// drains the queue. A header without video (no H.264 configuration and no
// size) makes an audio-only output; its queue sheds old audio when
// congested (see Queue).
func (o *Output) Start(ctx context.Context, h media.StreamHeader) {
	o.audioOnly = audioOnly(h)
	o.queue.SetAudioOnly(o.audioOnly)
	go func() {
		o.err = o.run(ctx, h)
		o.queue.Discard()
		if o.err != nil {
			o.setState(stats.StateFailed)
			o.setError(o.err)
		} else {
			o.setState(stats.StateStopped)
		}
		close(o.done)
	}()
}

// Stop closes the queue: the writer sends what is queued, then ends the
// stream cleanly. It waits up to timeout before the caller should cancel.
func (o *Output) Stop(timeout time.Duration) bool {
	o.queue.Close()
	o.stopOnce.Do(func() { close(o.stopping) })
	select {
	case <-o.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

func (o *Output) run(ctx context.Context, h media.StreamHeader) error {
	backoff := o.policy.BackoffFirst
	tries, rejects := 0, 0
	resync := false // a connection was lost or refused: what is queued is stale
	down := time.Now()
	for {
		tries++
		err := o.open(ctx, h)
		if err == nil {
			tries, rejects, backoff = 0, 0, o.policy.BackoffFirst
			if o.everLive.Swap(true) {
				n := o.reconnects.Add(1)
				o.logf("%s: live again after %.1fs (reconnect %d)", o.name, time.Since(down).Seconds(), n)
			}
			if resync {
				// Resume at a fresh keyframe with sound from the same
				// moment; timestamps go on from the program clock.
				o.queue.Resync()
				if o.wantKeyframe != nil && !o.audioOnly {
					o.wantKeyframe()
				}
			} else {
				o.queue.RequireKeyframe()
			}
			o.setState(stats.StateLive)
			select { // a "retry now" asked for before this success is spent
			case <-o.kick:
			default:
			}
			err = o.pump(ctx)
			if err == nil {
				return o.sink.Close()
			}
			down = time.Now()
			_ = o.sink.Close()
			if ctx.Err() != nil {
				return nil
			}
			o.logf("%s: connection lost: %v; reconnecting", o.name, err)
		} else if ctx.Err() != nil || errors.Is(err, errStopped) {
			return nil
		}
		// Until the next connection, what the program makes cannot reach
		// this destination: drop it rather than send it late.
		o.queue.Pause()
		resync = true
		o.setError(err)
		var perm *PermanentError
		if errors.As(err, &perm) {
			rejects++
			if rejects >= o.policy.RejectTries {
				return err
			}
		} else {
			rejects = 0
		}
		if !o.everLive.Load() && o.policy.FirstTries > 0 && tries >= o.policy.FirstTries {
			return err
		}
		o.setState(stats.StateReconnecting)
		wait := o.policy.jittered(backoff, rand.Float64())
		o.logf("%s: %v; retrying in %.1fs", o.name, err, wait.Seconds())
		select {
		case <-time.After(wait):
		case <-o.kick:
			o.logf("%s: retrying now", o.name)
		case <-o.stopping:
			// Stopped while waiting to reconnect: what is queued cannot go
			// anywhere, and waiting for a server that is down helps nobody.
			return nil
		case <-ctx.Done():
			return nil
		}
		backoff = o.policy.nextBackoff(backoff)
	}
}

// open opens the sink, giving up at once when the output is stopped: a
// stream still connecting has nothing to send, and waiting for a server
// that does not answer would hold up the stop.
func (o *Output) open(ctx context.Context, h media.StreamHeader) error {
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-o.stopping:
			cancel()
		case <-octx.Done():
		}
	}()
	err := o.sink.Open(octx, h)
	if err != nil && octx.Err() != nil && ctx.Err() == nil {
		return errStopped
	}
	return err
}

// errStopped: Stop was called while connecting.
var errStopped = errors.New("stopped while connecting")

// pump writes queued packets until the queue is closed and empty (nil) or a
// write fails.
func (o *Output) pump(ctx context.Context) error {
	for {
		p, ok := o.queue.Pop(ctx)
		if !ok {
			return nil
		}
		if o.joining {
			if !o.audioOnly && (p.Kind != media.Video || !p.Key) {
				p.Release()
				continue
			}
			o.joining = false
			if sh, ok := o.sink.(shifter); ok {
				sh.setShift(p.PTS - o.rebaseTo)
			}
		}
		err := o.sink.Write(p)
		if err == nil && (p.Kind == media.Video || o.audioOnly) {
			o.framesSent.Add(1)
		}
		p.Release()
		if err != nil {
			return err
		}
	}
}

func (o *Output) setState(s string) { o.state.Store(s) }

func (o *Output) setError(err error) {
	o.mu.Lock()
	o.lastErr = err.Error()
	o.mu.Unlock()
}

// Snapshot returns the output's counters; bitrate is filled in by the
// caller, which knows the interval. Frames sent and dropped are video
// frames, or AAC frames for an audio-only output.
func (o *Output) Snapshot() stats.Output {
	o.mu.Lock()
	lastErr := o.lastErr
	o.mu.Unlock()
	span := o.queue.Span()
	congestion := 0.0
	pol := o.queue.Policy()
	first := cmp.Or(pol.BFrames, pol.PFrames, pol.Limit)
	if o.queue.AudioOnly() {
		first = pol.Limit // the only threshold audio is shed at
	}
	if first > 0 {
		congestion = min(float64(span)/float64(first), 1) // 1: the first drops begin
	}
	return stats.Output{
		Name:          o.name,
		URL:           o.url,
		State:         o.State(),
		BytesSent:     o.sink.BytesWritten(),
		FramesSent:    o.framesSent.Load(),
		FramesDropped: o.queue.Dropped(),
		QueueMs:       span.Milliseconds(),
		Congestion:    congestion,
		Reconnects:    o.reconnects.Load(),
		LastError:     lastErr,
	}
}
