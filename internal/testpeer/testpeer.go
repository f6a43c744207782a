// Package testpeer provides real peers for integration tests: an nginx-rtmp
// ingest that records what it receives, a virtual X display (Xvfb) to
// capture from, a private PulseAudio server whose null-sink monitor is a
// capture device, and ffprobe/ffmpeg wrappers that check what arrived
// (stream parameters, packet timing, decode errors, pixel colours, audio
// tone and level, A/V sync from flashes and beeps).
//
// Helpers take a testing.TB and fail the test on error. When a needed binary
// (nginx, its rtmp module, ffmpeg, ffprobe, Xvfb, pulseaudio, …) is missing,
// the test is skipped with the reason, unless the environment variable CI is
// "true", in which case it fails: CI must have run scripts/deps.sh.
package testpeer

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RTMPModule is the path of the nginx-rtmp dynamic module on Debian
// (package libnginx-mod-rtmp).
const RTMPModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

// StreamModule is the path of nginx's stream (TCP proxy) dynamic module on
// Debian (package libnginx-mod-stream); the TLS front of StartNginxTLS
// needs it.
const StreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

// unavailable skips the test, or fails it when CI=true.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("testpeer: "+format+" (CI=true: run scripts/deps.sh)", args...)
	}
	t.Skipf("testpeer: "+format+" (run scripts/deps.sh to install)", args...)
}

// lookBin finds a binary on PATH or in the sbin directories that are often
// missing from a non-root PATH.
func lookBin(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/usr/local/bin"} {
		c := filepath.Join(dir, name)
		if st, e := os.Stat(c); e == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	return "", err
}

// need returns the path of a required binary, skipping (or in CI failing)
// the test when it is missing.
func need(t testing.TB, name string) string {
	t.Helper()
	p, err := lookBin(name)
	if err != nil {
		unavailable(t, "%s not found: %v", name, err)
	}
	return p
}
