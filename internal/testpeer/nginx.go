package testpeer

import (
	"errors"
	"fmt"
	"net"
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
	nginxStartTimeout = 10 * time.Second
	nginxStopGrace    = 3 * time.Second
	nginxBindRetries  = 5
	// recordStableFor is how long a recording must keep the same size and
	// modification time before WaitRecordingStable trusts it is finished.
	recordStableFor = 1500 * time.Millisecond
)

// Nginx is a running nginx-rtmp ingest on a loopback port with recording on.
//
// It serves one application, "live", with `live on; record all;
// record_unique off;`: each published stream NAME is recorded to
// RecordDir/NAME.flv, and publishing the same NAME again truncates it.
//
// StartNginxTLS also puts a TLS front (nginx's stream module) on a second
// port, for rtmps:// tests.
type Nginx struct {
	// Port is the loopback TCP port nginx listens on for RTMP.
	Port int
	// TLSPort is the loopback port of the TLS front that forwards to Port
	// (StartNginxTLS only; 0 otherwise).
	TLSPort int
	// TLS holds the certificate files of the TLS front (StartNginxTLS only).
	TLS TLSFiles
	// RecordDir is where recordings are written (record_path).
	RecordDir string
	// Dir is nginx's prefix directory: nginx.conf, error.log (level info),
	// nginx.pid and stderr.log live here.
	Dir string

	bin    string
	useTLS bool

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
}

// StartNginx starts nginx with the rtmp module on a free loopback port,
// waits until the port accepts TCP connections, and registers a cleanup
// that stops it. The test is skipped (failed when CI=true) when nginx or
// the rtmp module is not installed.
func StartNginx(t testing.TB) *Nginx {
	t.Helper()
	return startNginx(t, false)
}

// StartNginxTLS is StartNginx plus a TLS front: nginx's stream module
// listens on TLSPort with a certificate for 127.0.0.1 and localhost, signed
// by a throwaway CA (CAFile), and passes the decrypted stream to the RTMP
// port. The test is skipped (failed when CI=true) when the stream module
// is not installed.
func StartNginxTLS(t testing.TB) *Nginx {
	t.Helper()
	return startNginx(t, true)
}

func startNginx(t testing.TB, useTLS bool) *Nginx {
	t.Helper()
	bin, err := lookBin("nginx")
	if err != nil {
		unavailable(t, "nginx not found: %v", err)
	}
	if _, err := os.Stat(RTMPModule); err != nil {
		unavailable(t, "nginx rtmp module missing: %v", err)
	}
	if useTLS {
		if _, err := os.Stat(StreamModule); err != nil {
			unavailable(t, "nginx stream module missing: %v", err)
		}
	}

	dir := t.TempDir()
	n := &Nginx{Dir: dir, RecordDir: filepath.Join(dir, "rec"), bin: bin, useTLS: useTLS}
	if err := os.MkdirAll(n.RecordDir, 0o755); err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	if useTLS {
		if n.TLS, err = writeTLSFiles(dir); err != nil {
			t.Fatalf("testpeer: TLS certificates: %v", err)
		}
	}
	t.Cleanup(func() { n.stop() })

	var lastErr error
	for attempt := 0; attempt < nginxBindRetries; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("testpeer: pick a free port: %v", err)
		}
		n.Port = port
		if useTLS {
			if n.TLSPort, err = freePort(); err != nil {
				t.Fatalf("testpeer: pick a free port: %v", err)
			}
		}
		err = n.start()
		if err == nil {
			return n
		}
		lastErr = err
		if !errors.Is(err, errBind) {
			break
		}
		n.stop()
	}
	t.Fatalf("testpeer: start nginx: %v\n--- %s ---\n%s", lastErr, n.ErrorLogPath(), n.ErrorLog())
	return nil
}

// URL returns rtmp://127.0.0.1:PORT/live/NAME.
func (n *Nginx) URL(name string) string {
	return fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", n.Port, name)
}

// TLSURL returns rtmps://127.0.0.1:TLSPORT/live/NAME (StartNginxTLS only).
func (n *Nginx) TLSURL(name string) string {
	return fmt.Sprintf("rtmps://127.0.0.1:%d/live/%s", n.TLSPort, name)
}

// CAFile returns the PEM file of the CA that signed the TLS front's
// certificate (StartNginxTLS only): what an rtmps:// client must trust.
func (n *Nginx) CAFile() string { return n.TLS.CA }

// Recording returns the path nginx records stream NAME to:
// RecordDir/NAME.flv (record_unique off, so it is the same on every publish).
func (n *Nginx) Recording(name string) string {
	return filepath.Join(n.RecordDir, name+".flv")
}

// ErrorLogPath returns the path of nginx's error log (level info: it lists
// connects, publishes and disconnects too).
func (n *Nginx) ErrorLogPath() string { return filepath.Join(n.Dir, "error.log") }

// ErrorLog returns the content of nginx's error log and its stderr.
func (n *Nginx) ErrorLog() string {
	var b strings.Builder
	for _, p := range []string{n.ErrorLogPath(), filepath.Join(n.Dir, "stderr.log")} {
		if data, err := os.ReadFile(p); err == nil && len(data) > 0 {
			b.Write(data)
		}
	}
	return b.String()
}

// WaitRecordingStable waits until the recording of stream NAME exists, is
// not empty, and has kept the same size and modification time for 1.5 s
// (nginx writes every tag as it arrives, so a stable file means the
// publisher has stopped sending). It returns the recording's path and fails
// the test on timeout.
func (n *Nginx) WaitRecordingStable(t testing.TB, name string, timeout time.Duration) string {
	t.Helper()
	path := n.Recording(name)
	deadline := time.Now().Add(timeout)
	var (
		lastSize    int64 = -1
		lastMod     time.Time
		stableSince time.Time
	)
	for {
		st, err := os.Stat(path)
		now := time.Now()
		switch {
		case err != nil || st.Size() == 0:
			lastSize = -1
		case st.Size() != lastSize || !st.ModTime().Equal(lastMod):
			lastSize, lastMod, stableSince = st.Size(), st.ModTime(), now
		case now.Sub(stableSince) >= recordStableFor:
			return path
		}
		if now.After(deadline) {
			state := "missing"
			if err == nil {
				state = fmt.Sprintf("size %d, still changing", st.Size())
			}
			t.Fatalf("testpeer: recording %s not stable after %v (%s)\n--- %s ---\n%s",
				path, timeout, state, n.ErrorLogPath(), n.ErrorLog())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops nginx now (SIGTERM, then SIGKILL after 3 s), for tests that
// take the server away mid-stream. The cleanup registered by StartNginx
// still runs; stopping twice is harmless.
func (n *Nginx) Stop(t testing.TB) {
	t.Helper()
	n.stop()
}

// Restart starts nginx again on the same ports (after Stop; if it is still
// running it is stopped first) and waits until the port accepts
// connections. Existing recordings are kept; publishing a stream again
// truncates its recording.
func (n *Nginx) Restart(t testing.TB) {
	t.Helper()
	n.stop()
	deadline := time.Now().Add(nginxStartTimeout)
	for {
		err := n.start()
		if err == nil {
			return
		}
		if !errors.Is(err, errBind) || time.Now().After(deadline) {
			t.Fatalf("testpeer: restart nginx on ports %v: %v\n--- %s ---\n%s",
				n.ports(), err, n.ErrorLogPath(), n.ErrorLog())
		}
		n.stop()
		time.Sleep(200 * time.Millisecond)
	}
}

var errBind = errors.New("nginx could not bind its ports")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ports lists the ports nginx listens on: RTMP, then the TLS front.
func (n *Nginx) ports() []int {
	if n.useTLS {
		return []int{n.Port, n.TLSPort}
	}
	return []int{n.Port}
}

// config is nginx.conf: the rtmp server and, with TLS, the stream front.
func (n *Nginx) config() string {
	if !n.useTLS {
		return n.rtmpConfig("")
	}
	return n.rtmpConfig("load_module "+StreamModule+";\n") + fmt.Sprintf(`
stream {
    server {
        listen 127.0.0.1:%d ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        proxy_pass 127.0.0.1:%d;
    }
}
`, n.TLSPort, n.TLS.Cert, n.TLS.Key, n.Port)
}

func (n *Nginx) rtmpConfig(extraModules string) string {
	return fmt.Sprintf(`# generated by studio/internal/testpeer
load_module %s;
%sdaemon off;
master_process off;
error_log %s info;
pid %s;

events {
    worker_connections 256;
}

rtmp {
    server {
        listen 127.0.0.1:%d;
        chunk_size 4096;

        application live {
            live on;
            record all;
            record_path %s;
            record_unique off;
            record_suffix .flv;
        }
    }
}
`, RTMPModule, extraModules, n.ErrorLogPath(), filepath.Join(n.Dir, "nginx.pid"), n.Port, n.RecordDir)
}

// start writes the config, runs nginx and waits for the port. On failure
// the process (if any) is left for stop to reap.
func (n *Nginx) start() error {
	conf := filepath.Join(n.Dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(n.config()), 0o644); err != nil {
		return err
	}
	logOffset := int64(0)
	if st, err := os.Stat(n.ErrorLogPath()); err == nil {
		logOffset = st.Size()
	}
	stderr, err := os.OpenFile(filepath.Join(n.Dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer stderr.Close()

	// -e sets the error log used before the config is read (the compiled-in
	// /var/log/nginx/error.log is not writable for non-root users).
	cmd := exec.Command(n.bin, "-e", n.ErrorLogPath(), "-p", n.Dir+"/", "-c", conf)
	cmd.Dir = n.Dir
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()

	deadline := time.Now().Add(nginxStartTimeout)
	for {
		select {
		case <-done:
			if bindFailed(n.ErrorLogPath(), logOffset) {
				return fmt.Errorf("%w %v (%s)", errBind, n.ports(), cmd.ProcessState)
			}
			return fmt.Errorf("nginx exited: %s", cmd.ProcessState)
		default:
		}
		err := dialAll(n.ports())
		if err == nil {
			// Make sure it is our nginx that answered, not another
			// process that took the port while nginx failed to bind.
			select {
			case <-done:
				continue
			case <-time.After(50 * time.Millisecond):
			}
			if bindFailed(n.ErrorLogPath(), logOffset) {
				return fmt.Errorf("%w %v", errBind, n.ports())
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ports %v not accepting connections after %v: %v", n.ports(), nginxStartTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dialAll checks that every loopback port accepts a TCP connection.
func dialAll(ports []int) error {
	for _, port := range ports {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
		if err != nil {
			return err
		}
		c.Close()
	}
	return nil
}

func bindFailed(logPath string, offset int64) bool {
	data, err := os.ReadFile(logPath)
	if err != nil || int64(len(data)) < offset {
		return false
	}
	s := string(data[offset:])
	return strings.Contains(s, "bind()") || strings.Contains(s, "Address already in use")
}

// stop terminates the current nginx process, if any, and waits for it.
func (n *Nginx) stop() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd, n.done = nil, nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(nginxStopGrace):
		_ = cmd.Process.Kill()
		<-done
	}
}
