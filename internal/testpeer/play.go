package testpeer

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PlayAudio plays a live stream the way a viewer's (or a remote guest's)
// player does: `ffmpeg -i URL -t SECONDS -vn OUT.wav` with ffmpeg's default
// probing, so the stream must keep coming while ffmpeg probes it (up to
// 5 s of media for an audio-only RTMP stream) and then for SECONDS more.
// It returns the WAV file's path (in t.TempDir()) and how long playing
// took, and fails the test with ffmpeg's stderr when ffmpeg fails or is
// still running after timeout.
func PlayAudio(t testing.TB, url string, seconds float64, timeout time.Duration) (string, time.Duration) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "played.wav")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, need(t, "ffmpeg"), "-nostdin", "-y", "-v", "error",
		"-rw_timeout", "10000000", "-i", url, "-t", ftoa(seconds), "-vn", out)
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("testpeer: PlayAudio %s: still playing after %v\n%s", url, timeout, stderr.String())
	}
	if err != nil {
		t.Fatalf("testpeer: PlayAudio %s: %v\n%s", url, err, strings.TrimSpace(stderr.String()))
	}
	return out, took
}
