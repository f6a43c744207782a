package testpeer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

const (
	pulseStartTimeout = 10 * time.Second
	// toneStartTimeout bounds how long PlayTone waits for its stream to
	// run on the sink.
	toneStartTimeout = 10 * time.Second
	// PulseSink is the name of the null sink StartPulse loads.
	PulseSink = "studio_test"
	// PulseRate is the null sink's sample rate.
	PulseRate = 48000
)

// Pulse is a private PulseAudio server with one null sink, whose monitor
// source is a real capture device (DESIGN.md §7).
type Pulse struct {
	// Server is the server address for clients, "unix:/tmp/…/sock"
	// (PULSE_SERVER).
	Server string
	// Sink is the null sink, "studio_test": what is played to it comes out
	// of Monitor. It is the server's default sink.
	Sink string
	// Monitor is the sink's monitor source, "studio_test.monitor", the
	// server's default source.
	Monitor string

	dir string
	p   *proc
	cmd *exec.Cmd // the server's command line, for Restart
}

// StartPulse starts a private PulseAudio server:
//
//	pulseaudio -n --daemonize=no --exit-idle-time=-1 --disallow-exit --use-pid-file=no
//	  -L "module-native-protocol-unix socket=DIR/sock auth-anonymous=1"
//	  -L "module-null-sink sink_name=studio_test rate=48000 SINKARGS"
//
// with HOME, XDG_RUNTIME_DIR and XDG_CONFIG_HOME in a temporary directory,
// waits until `pactl info` answers, sets the sink and its monitor to 100%
// (0 dB) so what is played is captured sample for sample, sets PULSE_SERVER
// for the rest of the test (so in-process capture, e.g. malgo, finds it; this
// makes the test unusable with t.Parallel), and registers a cleanup that
// stops the server. The test is skipped (failed when CI=true) when
// pulseaudio or pactl is missing.
//
// sinkArgs are extra module-null-sink arguments, "key=value" each or
// several in one string (values quoted as PulseAudio quotes them), e.g.
// StartPulse(t, "channels=1") or StartPulse(t, "rate=44100 channels=1")
// for a sink, and so a monitor source, of that native format
// (`pactl list short sinks` then shows "s16le 1ch 44100Hz"). A key given
// here replaces the default of that key (rate), and a key given twice
// keeps its last value: PulseAudio itself refuses a key given twice. The
// sink is always named studio_test (sink_name is refused). PlayTone and
// Record work whatever the sink's format: the server converts to and from
// their 48 kHz stereo.
func StartPulse(t testing.TB, sinkArgs ...string) *Pulse {
	t.Helper()
	bin, err := lookBin("pulseaudio")
	if err != nil {
		unavailable(t, "pulseaudio not found: %v", err)
	}
	pactl := need(t, "pactl")
	sink, err := nullSinkArgs(sinkArgs)
	if err != nil {
		t.Fatalf("testpeer: StartPulse: %v", err)
	}
	// A short directory of our own: t.TempDir() can exceed the 108 bytes
	// a unix socket path may have.
	dir, err := os.MkdirTemp("", "studio-pulse-")
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	env := map[string]string{}
	for _, sub := range []string{"home", "runtime", "config"} {
		d := filepath.Join(dir, sub)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatalf("testpeer: %v", err)
		}
		env[sub] = d
	}
	p := &Pulse{
		Server:  "unix:" + filepath.Join(dir, "sock"),
		Sink:    PulseSink,
		Monitor: PulseSink + ".monitor",
		dir:     dir,
	}
	cmd := exec.Command(bin, "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
		"--use-pid-file=no", "--system=no",
		"-L", "module-native-protocol-unix socket="+filepath.Join(dir, "sock")+" auth-anonymous=1",
		"-L", "module-null-sink "+sink)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+env["home"], "XDG_RUNTIME_DIR="+env["runtime"],
		"XDG_CONFIG_HOME="+env["config"])
	p.cmd = cmd
	p.serve(t, pactl)
	t.Setenv("PULSE_SERVER", p.Server)
	return p
}

// serve starts the server from p.cmd, waits until it answers and sets the
// sink and monitor to full volume, unmuted, as the defaults.
func (p *Pulse) serve(t testing.TB, pactl string) {
	t.Helper()
	cmd := exec.Command(p.cmd.Path, p.cmd.Args[1:]...)
	cmd.Dir, cmd.Env = p.cmd.Dir, p.cmd.Env
	srv, err := startProc(cmd, filepath.Join(p.dir, fmt.Sprintf("pulseaudio-%d.log", time.Now().UnixNano())))
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	p.p = srv
	t.Cleanup(srv.stop) // before RemoveAll (cleanups run last first)

	deadline := time.Now().Add(pulseStartTimeout)
	for {
		if srv.exited() {
			t.Fatalf("testpeer: pulseaudio exited (%s):\n%s", srv.state(), srv.log())
		}
		if _, err := p.pactl(pactl, "info"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("testpeer: pulseaudio not answering after %v:\n%s", pulseStartTimeout, srv.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, args := range [][]string{
		{"set-sink-volume", p.Sink, "100%"},
		{"set-source-volume", p.Monitor, "100%"},
		{"set-sink-mute", p.Sink, "0"},
		{"set-source-mute", p.Monitor, "0"},
		{"set-default-sink", p.Sink},
		{"set-default-source", p.Monitor},
	} {
		if out, err := p.pactl(pactl, args...); err != nil {
			t.Fatalf("testpeer: pactl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// Kill stops the server at once, the way a sound server crashes: its
// clients' connections drop. Restart brings it back at the same address.
func (p *Pulse) Kill(t testing.TB) {
	t.Helper()
	if p.p != nil {
		_ = p.p.cmd.Process.Kill()
		<-p.p.done
		p.p = nil
	}
}

// Restart starts the server again after Kill, with the same sink; what
// was playing into it does not come back.
func (p *Pulse) Restart(t testing.TB) {
	t.Helper()
	p.serve(t, need(t, "pactl"))
}

// nullSinkArgs is the module-null-sink argument string StartPulse loads:
// sink_name=studio_test rate=48000, then the key=value pairs in extra, each
// replacing an earlier pair of the same key where it stood (pa_modargs
// fails on a repeated key), the others appended in order.
func nullSinkArgs(extra []string) (string, error) {
	args := []string{"sink_name=" + PulseSink, "rate=" + strconv.Itoa(PulseRate)}
	for _, e := range extra {
		pairs, err := splitModArgs(e)
		if err != nil {
			return "", fmt.Errorf("sink argument %q: %w", e, err)
		}
		for _, kv := range pairs {
			key, _, ok := strings.Cut(kv, "=")
			switch {
			case !ok || key == "":
				return "", fmt.Errorf("sink argument %q: %q is not key=value", e, kv)
			case key == "sink_name":
				return "", fmt.Errorf("sink argument %q: the sink is always %s", e, PulseSink)
			}
			i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, key+"=") })
			if i < 0 {
				args = append(args, kv)
			} else {
				args[i] = kv
			}
		}
	}
	return strings.Join(args, " "), nil
}

// splitModArgs splits module arguments into their key=value pairs as
// PulseAudio's pa_modargs reads them: pairs are apart by blanks, a value
// may be quoted with ' or " (the quote right after the =), and a backslash
// escapes the next character. The pairs are returned as written, quotes
// and all.
func splitModArgs(s string) ([]string, error) {
	var pairs []string
	var cur strings.Builder
	quote := rune(0) // the quote of the value being read
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case unicode.IsSpace(r):
			if cur.Len() > 0 {
				pairs = append(pairs, cur.String())
				cur.Reset()
			}
			continue
		case r == '\'' || r == '"':
			if k := cur.String(); strings.HasSuffix(k, "=") && strings.Count(k, "=") == 1 {
				quote = r
			}
		}
		cur.WriteRune(r)
	}
	if quote != 0 || escaped {
		return nil, errors.New("unterminated quote or escape")
	}
	if cur.Len() > 0 {
		pairs = append(pairs, cur.String())
	}
	return pairs, nil
}

// Env returns the environment a subprocess needs to use the server:
// PULSE_SERVER=unix:…. Append it to os.Environ().
func (p *Pulse) Env() []string { return []string{"PULSE_SERVER=" + p.Server} }

func (p *Pulse) pactl(bin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), p.Env()...)
	return cmd.CombinedOutput()
}

// Pactl runs `pactl ARGS...` against the server and returns its output,
// failing the test when it fails.
func (p *Pulse) Pactl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := p.pactl(need(t, "pactl"), args...)
	if err != nil {
		t.Fatalf("testpeer: pactl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// PlayTone plays a sine of hz Hz on both channels of the sink, at an RMS
// level of dBFS per channel (so −20 is a sine peaking at −17 dBFS; the
// level is what AudioTone reports), for dur (0: until the test's cleanup),
// with `ffmpeg -re -f lavfi -i aevalsrc=… -f pulse -device studio_test`.
// It returns once the stream runs on the sink (uncorked, sink RUNNING), so
// what is captured from the monitor from then on is the tone. A dur short
// enough for the player to finish before that is fine too.
func (p *Pulse) PlayTone(t testing.TB, hz int, dBFS float64, dur time.Duration) {
	t.Helper()
	peak := math.Sqrt2 * math.Pow(10, dBFS/20)
	if peak > 1 {
		t.Fatalf("testpeer: PlayTone: %g dBFS RMS would clip (a sine is at most −3 dBFS RMS)", dBFS)
	}
	src := fmt.Sprintf("aevalsrc=%.9f*sin(2*PI*%d*t):s=%d:c=stereo", peak, hz, PulseRate)
	args := []string{"-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", src}
	if dur > 0 {
		args = append(args, "-t", ftoa(dur.Seconds()))
	}
	args = append(args, "-f", "pulse", "-device", p.Sink, "-name", "studio-testpeer",
		"-stream_name", fmt.Sprintf("tone %d Hz %g dBFS", hz, dBFS), "tone")
	cmd := exec.Command(need(t, "ffmpeg"), args...)
	cmd.Env = append(os.Environ(), p.Env()...)
	pl, err := startProc(cmd, filepath.Join(p.dir, fmt.Sprintf("tone-%d.log", time.Now().UnixNano())))
	if err != nil {
		t.Fatalf("testpeer: PlayTone: %v", err)
	}
	t.Cleanup(pl.stop)

	pactl := need(t, "pactl")
	pid := fmt.Sprintf("application.process.id = \"%d\"", cmd.Process.Pid)
	deadline := time.Now().Add(toneStartTimeout)
	for {
		if pl.exited() {
			if pl.cmd.ProcessState.Success() {
				return
			}
			t.Fatalf("testpeer: PlayTone: player exited (%s):\n%s", pl.state(), pl.log())
		}
		inputs, err1 := p.pactl(pactl, "list", "sink-inputs")
		sinks, err2 := p.pactl(pactl, "list", "sinks", "short")
		if err1 == nil && err2 == nil && sinkInputRunning(string(inputs), pid) && sinkRunning(string(sinks), p.Sink) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testpeer: PlayTone: stream not running after %v\n%s\n%s\nplayer: %s",
				toneStartTimeout, inputs, sinks, pl.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sinkInputRunning reports whether `pactl list sink-inputs` shows an
// uncorked input with the given property line.
func sinkInputRunning(list, prop string) bool {
	for _, block := range strings.Split(list, "Sink Input #") {
		if strings.Contains(block, prop) && strings.Contains(block, "Corked: no") {
			return true
		}
	}
	return false
}

// sinkRunning reports whether `pactl list sinks short` shows the sink
// RUNNING.
func sinkRunning(list, sink string) bool {
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == sink && f[len(f)-1] == "RUNNING" {
			return true
		}
	}
	return false
}

// Record captures dur of the monitor source with `parec` (48 kHz stereo
// float, 20 ms latency), exactly dur×48000 sample frames, and returns
// it as a WAV file in t.TempDir().
func (p *Pulse) Record(t testing.TB, dur time.Duration) string {
	t.Helper()
	frames := int(math.Round(dur.Seconds() * PulseRate))
	if frames <= 0 {
		t.Fatalf("testpeer: Record: duration %v too short", dur)
	}
	cmd := exec.Command(need(t, "parec"), "-d", p.Monitor, "--raw", "--format=float32le",
		"--rate="+strconv.Itoa(PulseRate), "--channels=2", "--latency-msec=20")
	cmd.Env = append(os.Environ(), p.Env()...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("testpeer: Record: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testpeer: Record: %v", err)
	}
	pcm := make([]byte, frames*2*4)
	_, err = io.ReadFull(out, pcm)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err != nil {
		t.Fatalf("testpeer: Record: parec: %v\n%s", err, stderr.String())
	}
	path := filepath.Join(t.TempDir(), "monitor.wav")
	if err := os.WriteFile(path, append(wavHeader(len(pcm), 2, PulseRate), pcm...), 0o644); err != nil {
		t.Fatalf("testpeer: Record: %v", err)
	}
	return path
}

// wavHeader is the 44-byte header of a WAVE_FORMAT_IEEE_FLOAT (32-bit)
// file with dataLen bytes of samples.
func wavHeader(dataLen, channels, rate int) []byte {
	h := make([]byte, 44)
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(36+dataLen))
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], 3) // IEEE float
	le.PutUint16(h[22:], uint16(channels))
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*channels*4))
	le.PutUint16(h[32:], uint16(channels*4))
	le.PutUint16(h[34:], 32)
	copy(h[36:], "data")
	le.PutUint32(h[40:], uint32(dataLen))
	return h
}
