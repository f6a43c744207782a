package testpeer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// xvfbFirstDisplay is the lowest display number StartXvfb uses (low
	// numbers belong to real sessions and to other tools).
	xvfbFirstDisplay = 90
	xvfbLastDisplay  = 599
	xvfbStartTimeout = 10 * time.Second
	xvfbStartRetries = 5
	procStopGrace    = 3 * time.Second
	// playDrawTimeout bounds how long Play waits for the player's window
	// to show moving pictures.
	playDrawTimeout = 15 * time.Second
)

// Xvfb is a virtual X display for capture tests.
type Xvfb struct {
	// Display is the X display name, e.g. ":93".
	Display string
	// Width and Height are the screen size in pixels.
	Width, Height int

	num int
	dir string // holds xvfb.log
	p   *proc
}

// StartXvfb starts `Xvfb :N -screen 0 WxHx24 -noreset -nolisten tcp` on
// the first free display number N ≥ 90 (no /tmp/.X11-unix/XN socket and no
// /tmp/.XN-lock), waits until the socket exists and `xdpyinfo` answers, and
// registers a cleanup that stops it and removes its lock and socket if it
// left them. -noreset keeps what was drawn when the last client disconnects
// (DESIGN.md §7). The test is skipped (failed when CI=true) when Xvfb or
// xdpyinfo is missing.
func StartXvfb(t testing.TB, width, height int) *Xvfb {
	t.Helper()
	bin, err := lookBin("Xvfb")
	if err != nil {
		unavailable(t, "Xvfb not found: %v", err)
	}
	xdpyinfo := need(t, "xdpyinfo")
	if width <= 0 || height <= 0 {
		t.Fatalf("testpeer: StartXvfb: bad size %dx%d", width, height)
	}
	dir := t.TempDir()
	x := &Xvfb{Width: width, Height: height, dir: dir}
	t.Cleanup(x.stop)

	var lastErr error
	next := xvfbFirstDisplay
	for attempt := 0; attempt < xvfbStartRetries; attempt++ {
		n, ok := freeDisplay(next)
		if !ok {
			t.Fatalf("testpeer: StartXvfb: no free X display in :%d..:%d", xvfbFirstDisplay, xvfbLastDisplay)
		}
		next = n + 1
		x.num, x.Display = n, ":"+strconv.Itoa(n)
		err := x.start(bin, xdpyinfo)
		if err == nil {
			return x
		}
		lastErr = err
		x.stop()
		if !errors.Is(err, errDisplayTaken) {
			break
		}
	}
	t.Fatalf("testpeer: start Xvfb: %v", lastErr)
	return nil
}

var errDisplayTaken = errors.New("X display already in use")

func displayLock(n int) string   { return fmt.Sprintf("/tmp/.X%d-lock", n) }
func displaySocket(n int) string { return fmt.Sprintf("/tmp/.X11-unix/X%d", n) }

// freeDisplay returns the first display number ≥ from with neither a lock
// file nor a socket.
func freeDisplay(from int) (int, bool) {
	for n := from; n <= xvfbLastDisplay; n++ {
		if exists(displayLock(n)) || exists(displaySocket(n)) {
			continue
		}
		return n, true
	}
	return 0, false
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func (x *Xvfb) logPath() string { return filepath.Join(x.dir, fmt.Sprintf("xvfb-%d.log", x.num)) }

func (x *Xvfb) start(bin, xdpyinfo string) error {
	cmd := exec.Command(bin, x.Display, "-screen", "0", fmt.Sprintf("%dx%dx24", x.Width, x.Height),
		"-noreset", "-nolisten", "tcp")
	p, err := startProc(cmd, x.logPath())
	if err != nil {
		return err
	}
	x.p = p
	deadline := time.Now().Add(xvfbStartTimeout)
	for {
		if p.exited() {
			log := p.log()
			if strings.Contains(log, "already active") || strings.Contains(log, "Cannot establish any listening sockets") {
				return fmt.Errorf("%w: %s: %s", errDisplayTaken, x.Display, strings.TrimSpace(log))
			}
			return fmt.Errorf("Xvfb %s exited (%s):\n%s", x.Display, p.state(), log)
		}
		if exists(displaySocket(x.num)) {
			if err := exec.Command(xdpyinfo, "-display", x.Display).Run(); err == nil {
				// Make sure it is our server that answered, not another
				// one that took the display number first.
				if !x.ownsLock() {
					return fmt.Errorf("%w: %s", errDisplayTaken, x.Display)
				}
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Xvfb %s not answering after %v:\n%s", x.Display, xvfbStartTimeout, p.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop stops the server and removes the lock and socket it left, if they
// are still its own (the lock holds its PID).
func (x *Xvfb) stop() {
	p := x.p
	if p == nil {
		return
	}
	p.stop()
	// Xvfb removes both on a clean exit; after SIGKILL they stay. Only a
	// lock that still holds our PID is ours to remove.
	if x.ownsLock() {
		os.Remove(displayLock(x.num))
		os.Remove(displaySocket(x.num))
	}
	x.p = nil
}

// ownsLock reports whether the display's lock file holds our server's PID.
func (x *Xvfb) ownsLock() bool {
	if x.p == nil {
		return false
	}
	data, err := os.ReadFile(displayLock(x.num))
	return err == nil && strings.TrimSpace(string(data)) == strconv.Itoa(x.p.cmd.Process.Pid)
}

// Env returns the environment a subprocess needs to use the display:
// DISPLAY=:N. Append it to os.Environ().
func (x *Xvfb) Env() []string { return []string{"DISPLAY=" + x.Display} }

// Fill paints the whole screen one colour with
// `xsetroot -display :N -solid COLOR` (e.g. "#d04020" or "red"). Windows on
// top (Play) hide it.
func (x *Xvfb) Fill(t testing.TB, color string) {
	t.Helper()
	run(t, need(t, "xsetroot"), "-display", x.Display, "-solid", color)
}

// Grab captures the screen once with ffmpeg's x11grab (without the mouse
// pointer) and returns it as rgb24, Width*Height*3 bytes, row by row.
func (x *Xvfb) Grab(t testing.TB) []byte {
	t.Helper()
	raw := run(t, need(t, "ffmpeg"), x.grabArgs()...)
	if len(raw) != x.Width*x.Height*3 {
		t.Fatalf("testpeer: Grab %s: got %d bytes, want %dx%dx3", x.Display, len(raw), x.Width, x.Height)
	}
	return raw
}

func (x *Xvfb) grabArgs() []string {
	return []string{"-nostdin", "-v", "error", "-f", "x11grab", "-draw_mouse", "0",
		"-video_size", fmt.Sprintf("%dx%d", x.Width, x.Height), "-i", x.Display,
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"}
}

// Play shows a moving picture (ffmpeg's testsrc2 at 30 fps, the screen's
// size) on the display until the test's cleanup, for tests and benchmarks
// that need motion. The player is `ffmpeg -re -f lavfi -i testsrc2
// -pix_fmt bgra -f sdl2` with SDL_VIDEODRIVER=x11, in a borderless
// full-screen window (bgra is the display's own format: it saves SDL a
// conversion; at 1920x1080 the player still takes ~60% of a core here). Play
// returns once two captures show the picture moving and at least 90% of
// the screen no longer shows what was there before; it fails the test with
// the player's output otherwise.
func (x *Xvfb) Play(t testing.TB) {
	t.Helper()
	ffmpeg := need(t, "ffmpeg")
	before := x.Grab(t)
	cmd := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-re",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=%dx%d:r=30", x.Width, x.Height), "-pix_fmt", "bgra",
		"-f", "sdl2", "-window_title", "studio-testpeer-play",
		"-window_x", "0", "-window_y", "0",
		"-window_borderless", "1", "-window_fullscreen", "1", "-window_enable_quit", "0", "play")
	cmd.Env = append(os.Environ(), "SDL_VIDEODRIVER=x11", "SDL_AUDIODRIVER=dummy", "DISPLAY="+x.Display)
	p, err := startProc(cmd, filepath.Join(x.dir, fmt.Sprintf("play-%d.log", time.Now().UnixNano())))
	if err != nil {
		t.Fatalf("testpeer: Play: %v", err)
	}
	t.Cleanup(p.stop)

	deadline := time.Now().Add(playDrawTimeout)
	var prev []byte
	covered := 0.0
	for {
		if p.exited() {
			t.Fatalf("testpeer: Play: player on %s exited (%s):\n%s", x.Display, p.state(), p.log())
		}
		cur := x.Grab(t)
		covered = differing(before, cur)
		if prev != nil && covered >= 0.9 && !bytes.Equal(prev, cur) {
			return
		}
		prev = cur
		if time.Now().After(deadline) {
			t.Fatalf("testpeer: Play: after %v only %.0f%% of %s shows the player (or it does not move):\n%s",
				playDrawTimeout, covered*100, x.Display, p.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// differing returns the fraction of rgb24 pixels that differ between a and
// b (same size).
func differing(a, b []byte) float64 {
	n := len(a) / 3
	if n == 0 || len(b) != len(a) {
		return 0
	}
	d := 0
	for i := 0; i < len(a); i += 3 {
		if a[i] != b[i] || a[i+1] != b[i+1] || a[i+2] != b[i+2] {
			d++
		}
	}
	return float64(d) / float64(n)
}

// proc is a helper process whose output goes to a log file: started, asked
// whether it has exited, stopped (SIGTERM, then SIGKILL after 3 s).
type proc struct {
	cmd     *exec.Cmd
	logFile string
	done    chan struct{}
	once    sync.Once
}

func startProc(cmd *exec.Cmd, logFile string) (*proc, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &proc{cmd: cmd, logFile: logFile, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// state is the exit status once exited.
func (p *proc) state() string {
	if !p.exited() {
		return "running"
	}
	return p.cmd.ProcessState.String()
}

func (p *proc) log() string {
	data, _ := os.ReadFile(p.logFile)
	return strings.TrimSpace(string(data))
}

func (p *proc) stop() {
	p.once.Do(func() {
		if p.exited() {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(procStopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}
