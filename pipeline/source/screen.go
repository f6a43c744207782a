package source

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asticode/go-astiav"

	"studio/pipeline/device"
)

// Region is a rectangle of the screen in pixels; a zero W or H is the
// whole screen.
type Region struct{ X, Y, W, H int }

// CaptureConfig is what every live capture needs besides its device: the
// program format to deliver, the program clock, an audio device and where
// to report trouble.
type CaptureConfig struct {
	// Width and Height of the program; zero takes the device's size,
	// capped to MaxWidth x MaxHeight with the aspect kept.
	Width, Height, MaxWidth, MaxHeight int
	// FrameRate of the program (required).
	FrameRate            astiav.Rational
	SampleRate, Channels int
	// Audio is the audio device to capture with the picture: "default",
	// an index, a name or part of one; "" or "none" is silence.
	Audio string
	Clock *Clock
	Logf  func(string, ...any)
}

// ScreenConfig says what part of which X display to capture.
type ScreenConfig struct {
	CaptureConfig
	// Display is ":0", ":99"; empty means $DISPLAY.
	Display string
	Region  Region
	// FPS is the capture rate; zero captures at the program rate.
	FPS astiav.Rational
	// Cursor draws the mouse pointer into the picture.
	Cursor bool
}

// OpenScreen starts capturing an X display with FFmpeg's x11grab.
func OpenScreen(cfg ScreenConfig) (*Live, error) {
	display := cfg.Display
	if display == "" {
		display = os.Getenv("DISPLAY")
		if display == "" {
			return nil, errors.New("no X display to capture: $DISPLAY is not set (use --display :N, or display: in the preset; `studio devices` lists the screens)")
		}
	}
	sw, sh, err := device.ScreenSize(display)
	if err != nil {
		return nil, fmt.Errorf("%w; `studio devices` lists the screens", err)
	}
	region := cfg.Region
	if region.W == 0 || region.H == 0 {
		region = Region{W: sw, H: sh}
	}
	if region.X < 0 || region.Y < 0 || region.X+region.W > sw || region.Y+region.H > sh {
		return nil, fmt.Errorf("screen region %d,%d,%d,%d is outside display %q (%dx%d)", region.X, region.Y, region.W, region.H, display, sw, sh)
	}
	rate := cfg.FPS
	if rate.Num() <= 0 {
		rate = cfg.FrameRate
	}
	var watch *displayWatch
	open := func() (*deviceInput, error) {
		in, err := openScreenInput(display, region, rate, cfg.Cursor)
		if err == nil {
			watch = watchDisplay(display)
		}
		return in, err
	}
	check := func() error { return watch.check() }
	in, err := open()
	if err != nil {
		return nil, err
	}
	name := "screen " + display
	return startLive(cfg.CaptureConfig, name, in, open, check)
}

// displayWatch notices an X server that went away or was replaced.
// x11grab does not: on a dead connection it keeps returning its last
// shared-memory picture as if it were new.
type displayWatch struct {
	socket string // /tmp/.X11-unix/XN; "" for a remote display (not watched)
	ino    uint64
}

// watchDisplay remembers which server serves a local display now.
func watchDisplay(display string) *displayWatch {
	host, num, ok := strings.Cut(display, ":")
	if !ok || host != "" && host != "unix" {
		return &displayWatch{} // over TCP (ssh -X's localhost:10): not watched
	}
	num, _, _ = strings.Cut(num, ".")
	socket := "/tmp/.X11-unix/X" + num
	fi, err := os.Stat(socket)
	if err != nil {
		return &displayWatch{} // an abstract socket only (a container): not watched
	}
	w := &displayWatch{socket: socket}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		w.ino = st.Ino
	}
	return w
}

// check says why the display is no longer the one opened, or nil.
func (w *displayWatch) check() error {
	if w == nil || w.socket == "" {
		return nil
	}
	fi, err := os.Stat(w.socket)
	if err != nil {
		return errors.New("the X server went away")
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && w.ino != 0 && st.Ino != w.ino {
		return errors.New("the X server was restarted")
	}
	c, err := net.DialTimeout("unix", w.socket, time.Second)
	if err != nil {
		return errors.New("the X server is not answering")
	}
	c.Close()
	return nil
}

// openScreenInput opens x11grab on a region of display.
func openScreenInput(display string, r Region, rate astiav.Rational, cursor bool) (*deviceInput, error) {
	opts := map[string]string{
		"framerate":  rate.String(),
		"draw_mouse": "0",
	}
	if cursor {
		opts["draw_mouse"] = "1"
	}
	if r.W > 0 && r.H > 0 {
		opts["video_size"] = fmt.Sprintf("%dx%d", r.W, r.H)
		opts["grab_x"], opts["grab_y"] = strconv.Itoa(r.X), strconv.Itoa(r.Y)
	}
	in, err := openDeviceInput("x11grab", display, opts, false)
	if err != nil {
		return nil, fmt.Errorf("cannot open X display %q: %v (is an X server running there?)", display, err)
	}
	return in, nil
}

// startLive wraps an opened picture device (and the configured audio
// device) into a Live source in the program format.
// check, when not nil, is asked every second whether the device is still
// the one opened.
func startLive(cfg CaptureConfig, name string, in *deviceInput, reopen func() (*deviceInput, error), check func() error) (*Live, error) {
	f := Format{Width: cfg.Width, Height: cfg.Height, FrameRate: cfg.FrameRate, SampleRate: cfg.SampleRate, Channels: cfg.Channels}
	f.SampleRate, f.Channels = audioDefaults(f.SampleRate, f.Channels)
	if f.Width == 0 || f.Height == 0 {
		f.Width, f.Height = fitSize(in.width, in.height, cfg.MaxWidth, cfg.MaxHeight)
	}
	if f.FrameRate.Num() <= 0 {
		f.FrameRate = astiav.NewRational(30, 1)
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	clock := cfg.Clock
	if clock == nil {
		clock = &Clock{}
	}
	var audio *audioCapture
	if cfg.Audio != "" && cfg.Audio != "none" {
		var err error
		if audio, err = openAudioCapture(cfg.Audio, f, clock, logf); err != nil {
			in.close()
			return nil, err
		}
	}
	video := startVideoCapture(name, in, reopen, check, f, logf)
	l, err := newLive(f, clock, video, audio)
	if err != nil {
		return nil, err // newLive closed the captures
	}
	return l, nil
}
