package source

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
)

// deviceInput is an open FFmpeg capture device (x11grab, video4linux2)
// with its video decoder.
type deviceInput struct {
	fc     *astiav.FormatContext
	intr   astiav.IOInterrupter
	dec    *astiav.CodecContext
	idx    int
	width  int // decoded size, as the device reports it
	height int
}

// openDeviceInput opens url with the named input device and its options,
// and a decoder for its first video stream.
func openDeviceInput(format, url string, options map[string]string, nonblock bool) (_ *deviceInput, err error) {
	astiav.RegisterAllDevices()
	ifmt := astiav.FindInputFormat(format)
	if ifmt == nil {
		return nil, fmt.Errorf("this FFmpeg has no %s input device", format)
	}
	in := &deviceInput{fc: astiav.AllocFormatContext(), idx: -1}
	in.intr = in.fc.SetInterruptCallback()
	if nonblock {
		// ReadFrame returns EAGAIN instead of waiting, so a camera that
		// stops sending cannot hold Close. Set before opening: v4l2 reads
		// the flag when it opens the device.
		in.fc.SetFlags(in.fc.Flags().Add(astiav.FormatContextFlagNonblock))
	}
	dict := astiav.NewDictionary()
	defer dict.Free()
	for k, v := range options {
		if err := dict.Set(k, v, astiav.NewDictionaryFlags()); err != nil {
			in.fc.Free()
			return nil, err
		}
	}
	if err := in.fc.OpenInput(url, ifmt, dict); err != nil {
		in.fc.Free()
		return nil, err
	}
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	for _, s := range in.fc.Streams() {
		cp := s.CodecParameters()
		if cp.MediaType() != astiav.MediaTypeVideo {
			continue
		}
		codec := astiav.FindDecoder(cp.CodecID())
		if codec == nil {
			return nil, fmt.Errorf("no decoder for %s", cp.CodecID())
		}
		in.dec = astiav.AllocCodecContext(codec)
		if err := cp.ToCodecContext(in.dec); err != nil {
			return nil, fmt.Errorf("decoder parameters: %w", err)
		}
		if err := in.dec.Open(codec, nil); err != nil {
			return nil, fmt.Errorf("open %s decoder: %w", codec.Name(), err)
		}
		in.idx, in.width, in.height = s.Index(), cp.Width(), cp.Height()
		return in, nil
	}
	return nil, errors.New("the device has no video stream")
}

func (in *deviceInput) close() {
	if in.dec != nil {
		in.dec.Free()
	}
	in.fc.CloseInput()
	in.fc.Free()
}

// videoCapture runs a capture device in its own goroutine and keeps its
// newest picture, converted to the program size and yuv420p. The program
// takes that picture on its own clock: a device slower than the program
// is shown again (held), a faster one is sampled. When the device fails it
// is reopened with backoff while the program goes on.
type videoCapture struct {
	name   string // "screen :99", "camera /dev/video0"
	reopen func() (*deviceInput, error)
	check  func() error // nil, or asked each second whether the device is still there
	out    Format
	logf   func(string, ...any)

	mu       sync.Mutex
	latest   *astiav.Frame // newest picture; nil until the first
	latestAt time.Time
	input    *deviceInput // the open input, for Close to interrupt
	errMsg   string       // why the device is not capturing; "" while it is

	frames atomic.Int64 // pictures captured
	stop   chan struct{}
	done   chan struct{}
}

// startVideoCapture starts capturing from in, which the caller opened (so
// that a missing device is an error before going live); reopen opens it
// again after a failure.
func startVideoCapture(name string, in *deviceInput, reopen func() (*deviceInput, error), check func() error, out Format, logf func(string, ...any)) *videoCapture {
	v := &videoCapture{name: name, reopen: reopen, check: check, out: out, logf: logf,
		input: in, stop: make(chan struct{}), done: make(chan struct{})}
	go v.run(in)
	return v
}

// Capture retry schedule: the first retry after a second, then ×1.5 up to 10 s.
const (
	captureRetryFirst = time.Second
	captureRetryMax   = 10 * time.Second
)

func (v *videoCapture) run(in *deviceInput) {
	defer close(v.done)
	wait := captureRetryFirst
	for {
		err := v.capture(in)
		v.mu.Lock()
		v.input = nil
		v.mu.Unlock()
		in.close()
		if v.stopped() {
			return
		}
		// The status keeps the reason the device was lost while it is
		// retried; why a retry failed goes to the log once per reason.
		msg := fmt.Sprintf("%s: %v", v.name, err)
		v.mu.Lock()
		v.errMsg = msg + " (retrying)"
		v.mu.Unlock()
		v.logf("%s; retrying", msg)
		lastRetry := ""
		for {
			select {
			case <-v.stop:
				return
			case <-time.After(wait):
			}
			var oerr error
			if in, oerr = v.reopen(); oerr == nil {
				break
			}
			if r := oerr.Error(); r != lastRetry {
				v.logf("%s: still unavailable: %v", v.name, oerr)
				lastRetry = r
			}
			wait = min(time.Duration(float64(wait)*1.5), captureRetryMax)
		}
		v.mu.Lock()
		v.input, v.errMsg = in, ""
		v.mu.Unlock()
		if v.stopped() {
			continue // capture returns at once; the loop closes in
		}
		v.logf("%s: capturing again", v.name)
		wait = captureRetryFirst
	}
}

func (v *videoCapture) stopped() bool {
	select {
	case <-v.stop:
		return true
	default:
		return false
	}
}

// capture reads, decodes and converts pictures until the device fails or
// the capture is stopped.
func (v *videoCapture) capture(in *deviceInput) error {
	pkt, decoded, spare := astiav.AllocPacket(), astiav.AllocFrame(), astiav.AllocFrame()
	defer pkt.Free()
	defer decoded.Free()
	// spare changes hands with latest on every picture: free the one held at the end.
	defer func() { spare.Free() }()
	var conv *filters.Graph
	defer func() {
		if conv != nil {
			conv.Close()
		}
	}()
	checked := time.Now()
	for !v.stopped() {
		if v.check != nil && time.Since(checked) >= time.Second {
			if err := v.check(); err != nil {
				// What came since the last good check may be a dead
				// server's old picture: do not count it as fresh.
				v.mu.Lock()
				if v.latestAt.After(checked) {
					v.latestAt = checked
				}
				v.mu.Unlock()
				return err
			}
			checked = time.Now()
		}
		err := in.fc.ReadFrame(pkt)
		if errors.Is(err, astiav.ErrEagain) {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		if err != nil {
			if v.check != nil {
				if cerr := v.check(); cerr != nil {
					return cerr // says more than the read error
				}
			}
			if errors.Is(err, astiav.ErrEof) {
				return errors.New("the device stopped sending")
			}
			return fmt.Errorf("read: %w", err)
		}
		if pkt.StreamIndex() != in.idx {
			pkt.Unref()
			continue
		}
		err = in.dec.SendPacket(pkt)
		pkt.Unref()
		if err != nil && !errors.Is(err, astiav.ErrEagain) {
			continue // a corrupt picture (MJPEG over a flaky USB link): skip it
		}
		for {
			if err := av.ReceiveFrame(in.dec, decoded); err != nil {
				break
			}
			if conv == nil {
				if conv, err = v.converter(decoded); err != nil {
					decoded.Unref()
					return err
				}
			}
			decoded.SetPts(v.frames.Load())
			err = conv.Push(decoded)
			decoded.Unref()
			if err != nil {
				return fmt.Errorf("convert: %w", err)
			}
			for conv.Pull(spare) == nil {
				v.mu.Lock()
				v.latest, spare = spare, v.latestOrNew()
				v.latestAt = time.Now()
				v.mu.Unlock()
				spare.Unref()
				v.frames.Add(1)
			}
		}
	}
	return nil
}

// latestOrNew returns the frame to recycle as the next spare. Call with mu held.
func (v *videoCapture) latestOrNew() *astiav.Frame {
	if v.latest != nil {
		return v.latest
	}
	return astiav.AllocFrame()
}

// converter builds the graph from the device's pictures to the program's:
// scaled to fit with the aspect kept (black bars), yuv420p (x11grab gives
// bgr0, which libx264 would otherwise encode as 4:4:4).
func (v *videoCapture) converter(first *astiav.Frame) (*filters.Graph, error) {
	g, err := filters.NewVideo(fitChain(first.Width(), first.Height(), v.out), first, v.out.VideoTimeBase())
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	return g, nil
}

// take puts a new reference to the newest picture into dst; it reports
// false when there is none yet. age is how long ago it was captured.
func (v *videoCapture) take(dst *astiav.Frame) (age time.Duration, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.latest == nil {
		return 0, false
	}
	dst.Unref()
	if err := dst.Ref(v.latest); err != nil {
		return 0, false
	}
	return time.Since(v.latestAt), true
}

// age is how long ago the newest picture was captured; ok is false
// before the first.
func (v *videoCapture) age() (time.Duration, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.latest == nil {
		return 0, false
	}
	return time.Since(v.latestAt), true
}

// status is the device's error ("" while capturing).
func (v *videoCapture) status() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.errMsg
}

// captureCloseTimeout bounds how long close waits for the capture
// goroutine: a device read can block in the driver (an X server that
// stopped answering, a wedged camera), and neither x11grab nor v4l2 obeys
// FFmpeg's interrupt callback.
const captureCloseTimeout = 2 * time.Second

// close stops the capture and frees what it holds. A capture stuck in a
// device read is left behind, with what it holds (a leak, not a hang).
func (v *videoCapture) close() {
	close(v.stop)
	v.mu.Lock()
	if v.input != nil {
		v.input.intr.Interrupt()
	}
	v.mu.Unlock()
	select {
	case <-v.done:
	case <-time.After(captureCloseTimeout):
		v.logf("%s: the device did not stop within %s; leaving it behind", v.name, captureCloseTimeout)
		return
	}
	if v.latest != nil {
		v.latest.Free()
		v.latest = nil
	}
}
