package testpeer

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Publisher is an ffmpeg CLI process publishing generated media in real
// time, like a remote guest's encoder: H.264 (veryfast, zerolatency, a key
// frame every half second) and AAC, in FLV to an rtmp:// URL, in MPEG-TS
// to an srt:// or udp:// URL (srt://…?mode=listener waits for the puller
// to call), or served as FLV to one client of an http:// URL.
type Publisher struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu     sync.Mutex
	stderr bytes.Buffer
}

// Publish starts publishing inputs (ffmpeg input arguments, such as
// AVSyncInputs or `-f lavfi -i color=…`; each input is read in real time)
// to url. t.Cleanup kills the publisher.
//
//	testpeer.Publish(t, n.URL("g1"), "-f", "lavfi", "-i", "color=c=0x3060c0:s=1280x720:r=30",
//		"-f", "lavfi", "-i", "sine=f=600:r=48000")
func Publish(t testing.TB, url string, inputs ...string) *Publisher {
	t.Helper()
	args := []string{"-nostdin", "-v", "error"}
	for _, a := range inputs {
		if a == "-i" {
			args = append(args, "-re")
		}
		args = append(args, a)
	}
	args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
		"-force_key_frames", "expr:gte(t,n_forced*0.5)", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2")
	switch scheme, _, _ := strings.Cut(url, "://"); scheme {
	case "srt", "udp":
		args = append(args, "-f", "mpegts")
	case "http":
		args = append(args, "-listen", "1", "-f", "flv")
	default:
		args = append(args, "-f", "flv")
	}
	args = append(args, url)
	p := &Publisher{cmd: exec.Command(need(t, "ffmpeg"), args...), done: make(chan struct{})}
	p.cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("testpeer: start publisher: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.Kill)
	return p
}

// Kill stops the publisher at once (SIGKILL), as a guest whose encoder
// crashed or whose network vanished, and waits for it. Killing twice is
// harmless.
func (p *Publisher) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Pause stops the publisher's process (SIGSTOP) without closing its
// connection; Resume continues it (SIGCONT).
func (p *Publisher) Pause() { _ = p.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused publisher.
func (p *Publisher) Resume() { _ = p.cmd.Process.Signal(syscall.SIGCONT) }

// Wait waits up to timeout for the publisher to exit by itself (its
// inputs ended) and reports whether it did.
func (p *Publisher) Wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Exited reports whether the publisher has exited.
func (p *Publisher) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stderr returns what ffmpeg printed so far (errors only), trimmed.
func (p *Publisher) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.TrimSpace(p.stderr.String())
}

// lockedWriter serialises writes to a buffer that is read concurrently.
type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}
