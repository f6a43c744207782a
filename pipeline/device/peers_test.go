package device

// Real peers for the tests: an Xvfb display and a PulseAudio server with a
// null sink, each started by the test and stopped in its Cleanup. (Shared
// helpers are coming to internal/testpeer; these are the local stand-ins.)

import (
	"bytes"
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

// needBin returns a binary's path, skipping the test when it is missing,
// or failing it when CI=true (CI must have run scripts/deps.sh).
func needBin(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (CI=true: run scripts/deps.sh)", name)
		}
		t.Skipf("%s not found (run scripts/deps.sh to install)", name)
	}
	return p
}

// freeDisplay is a display number ≥ from with no socket and no lock file.
func freeDisplay(t *testing.T, from int) int {
	t.Helper()
	for n := from; n < from+200; n++ {
		_, errSock := os.Stat(filepath.Join("/tmp/.X11-unix", "X"+strconv.Itoa(n)))
		_, errLock := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n))
		if os.IsNotExist(errSock) && os.IsNotExist(errLock) {
			return n
		}
	}
	t.Fatalf("no free X display number from %d", from)
	return 0
}

// startXvfb starts `Xvfb :N -screen 0 WxHx24 -noreset -nolisten tcp` on a
// free N ≥ 90 and returns ":N" once its socket is there. Another test
// process may take the same N between the check and the start; then the
// next number is tried.
func startXvfb(t *testing.T, w, h int) string {
	t.Helper()
	bin := needBin(t, "Xvfb")
	from := 90
	for attempt := 0; attempt < 5; attempt++ {
		n := freeDisplay(t, from)
		from = n + 1
		display := ":" + strconv.Itoa(n)
		var out lockedBuffer
		cmd := exec.Command(bin, display, "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-noreset", "-nolisten", "tcp")
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		socket := filepath.Join("/tmp/.X11-unix", "X"+strconv.Itoa(n))
		lock := fmt.Sprintf("/tmp/.X%d-lock", n)
		if appeared(socket, exited, 10*time.Second) && lockHolder(lock) == cmd.Process.Pid {
			t.Cleanup(func() { stopXvfb(cmd.Process, exited, socket, lock) })
			return display
		}
		stopXvfb(cmd.Process, exited, socket, lock)
		t.Logf("Xvfb %s did not start (display taken?): %s", display, out.String())
	}
	t.Fatal("Xvfb: could not start on a free display")
	return ""
}

// stopXvfb stops Xvfb with SIGTERM, so that it removes its socket and
// lock file (SIGKILL would leave them and the display number would look
// taken), and cleans up after it if it had to be killed.
func stopXvfb(p *os.Process, exited <-chan struct{}, socket, lock string) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = p.Kill()
		<-exited
	}
	if lockHolder(lock) == p.Pid {
		os.Remove(socket)
		os.Remove(lock)
	}
}

// lockHolder is the PID an X lock file names (0 if unreadable).
func lockHolder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// lockedBuffer collects a child's output; it may be read while the child
// still writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// appeared waits until path exists (true), or the process exits or the
// time is up (false).
func appeared(path string, exited <-chan struct{}, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		select {
		case <-exited:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// startPulse starts a private PulseAudio server (as root: -n with explicit
// modules) whose only device is a null sink named studio_test (args are
// extra module-null-sink arguments, e.g. "rate=48000"), points
// PULSE_SERVER at it for the rest of the test and returns that value.
func startPulse(t *testing.T, sinkArgs ...string) string {
	t.Helper()
	bin := needBin(t, "pulseaudio")
	pactl := needBin(t, "pactl")
	// Not t.TempDir: socket paths must stay under 108 bytes.
	dir, err := os.MkdirTemp("", "pulse")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	home, run := filepath.Join(dir, "home"), filepath.Join(dir, "run")
	for _, d := range []string{home, run} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(dir, "sock")
	sink := "module-null-sink sink_name=studio_test"
	for _, a := range sinkArgs {
		sink += " " + a
	}
	var out lockedBuffer
	cmd := exec.Command(bin, "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--use-pid-file=false",
		"-L", "module-native-protocol-unix socket="+sock+" auth-anonymous=1", "-L", sink)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+run, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pulseaudio: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	server := "unix:" + sock
	deadline := time.Now().Add(15 * time.Second)
	for {
		info := exec.Command(pactl, "info")
		info.Env = append(os.Environ(), "PULSE_SERVER="+server, "HOME="+home, "XDG_RUNTIME_DIR="+run)
		if info.Run() == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("pulseaudio exited at start: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulseaudio not ready after 15s: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Setenv("PULSE_SERVER", server)
	return server
}
