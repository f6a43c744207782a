package main

// End-to-end tests: the real binary against a real nginx-rtmp, with what
// arrived checked by ffprobe (DESIGN.md §9: real peers, never mocks).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/pipeline/stats"
)

// studioBin is built once for the whole package.
var studioBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "studio-test-bin")
	if err != nil {
		panic(err)
	}
	studioBin = filepath.Join(dir, "studio")
	out, err := exec.Command("go", "build", "-o", studioBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build studio: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) all() string { return r.stdout + r.stderr }

// studio runs the binary and waits for it (at most 2 minutes).
func studio(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, studioBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// frameRate measures the video rate from packet times, as a viewer's player
// would (FLV timestamps are whole milliseconds, so ffprobe's avg_frame_rate
// guesses from the first deltas).
func frameRate(t *testing.T, path string) float64 {
	times := testpeer.PacketTimes(t, path, "v")
	sort.Float64s(times)
	require.Greater(t, len(times), 10)
	return float64(len(times)-1) / (times[len(times)-1] - times[0])
}

// checkStream asserts what every test push must look like on the server.
func checkStream(t *testing.T, path string, w, h int, fps, dur float64) {
	t.Helper()
	p := testpeer.FFprobe(t, path)
	require.NotNil(t, p.Video, "no video in %s", path)
	require.NotNil(t, p.Audio, "no audio in %s", path)
	require.Equal(t, "h264", p.Video.CodecName)
	require.Equal(t, "aac", p.Audio.CodecName)
	require.Equal(t, w, p.Video.Width)
	require.Equal(t, h, p.Video.Height)
	require.Equal(t, "yuv420p", p.Video.PixFmt)
	require.Equal(t, 48000, p.Audio.SampleRate)
	require.Equal(t, 2, p.Audio.Channels)
	require.InEpsilon(t, fps, frameRate(t, path), 0.01, "frame rate")
	require.InDelta(t, dur, p.Format.Duration, 0.3, "duration")
	require.InDelta(t, p.Video.StartTime, p.Audio.StartTime, 0.05, "audio and video start apart")
	require.Empty(t, testpeer.DecodeErrors(t, path), "decode errors")
}

func TestRunDemoToNginxAndRecording(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "local.flv")
	statsPath := filepath.Join(dir, "stats.jsonl")
	const key = "demoKey8c1f"
	r := studio(t, "run", "--preset", "demo", "--duration", "4s", "--to", ngx.URL(key),
		"--record", rec, "--stats-json", statsPath)
	require.Equal(t, 0, r.code, r.all())

	got := ngx.WaitRecordingStable(t, key, 10*time.Second)
	checkStream(t, got, 1280, 720, 30, 4)
	checkStream(t, rec, 1280, 720, 30, 4)
	tone, level := testpeer.AudioTone(t, got, 1, 2)
	require.InDelta(t, 1000, tone, 5, "test tone frequency")
	require.Less(t, level, -10.0)

	// Clean stop means an unpublish the server saw.
	require.Contains(t, ngx.ErrorLog(), "deleteStream")

	// Stats: one line a second plus a final one, keys as DESIGN.md §6.
	data, err := os.ReadFile(statsPath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.GreaterOrEqual(t, len(lines), 4)
	var last stats.Stats
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &last))
	require.True(t, last.Final)
	require.Equal(t, int64(120), last.Video.FramesEncoded)
	require.Len(t, last.Outputs, 2)
	require.Equal(t, "rtmp://127.0.0.1:"+fmt.Sprint(ngx.Port)+"/live/****", last.Outputs[0].URL)
	require.Equal(t, stats.StateStopped, last.Outputs[0].State)
	require.Equal(t, int64(0), last.Outputs[0].FramesDropped)
	require.Greater(t, last.Outputs[0].BytesSent, int64(1_000_000))
	var mid map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &mid))
	for _, k := range []string{"time", "uptime_s", "final", "video", "audio", "outputs"} {
		require.Contains(t, mid, k)
	}
	out := mid["outputs"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "url", "state", "bitrate_kbps", "bytes_sent", "frames_sent", "frames_dropped", "queue_ms", "congestion", "reconnects", "last_error"} {
		require.Contains(t, out, k)
	}
	require.Equal(t, "live", out["state"])
	require.InDelta(t, 2700, out["bitrate_kbps"].(float64), 900)

	// The key is nowhere: not in logs, not in stats.
	require.NotContains(t, r.all(), key)
	require.NotContains(t, string(data), key)
}

func TestRelayAwkwardInputs(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	lavfiVideo := func(size, rate string) []string {
		return []string{"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=" + rate}
	}
	cases := []struct {
		name    string
		file    string
		args    []string
		w, h    int
		fps     float64
		seconds float64
	}{
		{"odd-size", "odd.mp4", append(lavfiVideo("641x361", "30"), "-f", "lavfi", "-i", "sine=f=440:r=48000",
			"-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv444p", "-c:a", "aac", "-shortest"), 640, 360, 30, 3},
		{"25fps-44k-mono", "pal.mp4", append(lavfiVideo("720x576", "25"), "-f", "lavfi", "-i", "sine=f=440:r=44100",
			"-t", "3", "-ac", "1", "-c:v", "libx264", "-c:a", "aac", "-shortest"), 720, 576, 25, 3},
		{"no-audio", "silent.mp4", append(lavfiVideo("640x360", "30"), "-t", "3", "-c:v", "libx264"), 640, 360, 30, 3},
		{"hevc", "hevc.mkv", append(lavfiVideo("640x360", "30"), "-f", "lavfi", "-i", "sine=f=440:r=48000",
			"-t", "3", "-c:v", "libx265", "-x265-params", "log-level=error", "-c:a", "aac", "-shortest"), 640, 360, 30, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := testpeer.MakeMedia(t, tc.file, tc.args...)
			key := "relay-" + tc.name
			r := studio(t, "relay", in, ngx.URL(key), "--realtime=false")
			require.Equal(t, 0, r.code, r.all())
			got := ngx.WaitRecordingStable(t, key, 10*time.Second)
			checkStream(t, got, tc.w, tc.h, tc.fps, tc.seconds)
		})
	}
}

func TestRelayLoopKeepsTimestampsContinuous(t *testing.T) {
	dir := t.TempDir()
	in := testpeer.MakeMedia(t, "short.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
		"-f", "lavfi", "-i", "sine=f=440:r=48000", "-t", "2", "-c:v", "libx264", "-c:a", "aac", "-shortest")
	rec := filepath.Join(dir, "loop.flv")
	r := studio(t, "relay", in, "--loop", "--duration", "5s", "--record", rec, "--realtime=false")
	require.Equal(t, 0, r.code, r.all())
	checkStream(t, rec, 320, 240, 30, 5)
	times := testpeer.PacketTimes(t, rec, "v")
	sort.Float64s(times)
	for i := 1; i < len(times); i++ {
		require.Less(t, times[i]-times[i-1], 0.05, "gap in video at %.3fs", times[i-1])
	}
	atimes := testpeer.PacketTimes(t, rec, "a")
	for i := 1; i < len(atimes); i++ {
		require.Less(t, atimes[i]-atimes[i-1], 0.05, "gap in audio at %.3fs", atimes[i-1])
	}
}

func TestRelayCorruptInputIsSkippedNotFatal(t *testing.T) {
	in := testpeer.MakeMedia(t, "clean.ts", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
		"-f", "lavfi", "-i", "sine=f=440:r=48000", "-t", "4", "-c:v", "libx264", "-c:a", "aac", "-shortest")
	data, err := os.ReadFile(in)
	require.NoError(t, err)
	// Scribble over a few stretches in the middle, aligned to TS packets so
	// the demuxer keeps its sync but the decoders see broken data.
	for _, at := range []int{len(data) / 3, len(data) / 2, 2 * len(data) / 3} {
		at = at / 188 * 188
		for i := at + 4; i < at+188*6 && i < len(data); i++ {
			if (i-at)%188 >= 4 {
				data[i] = 0xA5
			}
		}
	}
	bad := filepath.Join(t.TempDir(), "corrupt.ts")
	require.NoError(t, os.WriteFile(bad, data, 0o644))
	rec := filepath.Join(t.TempDir(), "out.flv")
	statsPath := filepath.Join(t.TempDir(), "s.jsonl")
	r := studio(t, "relay", bad, "--record", rec, "--realtime=false", "--stats-json", statsPath)
	require.Equal(t, 0, r.code, r.all())
	p := testpeer.FFprobe(t, rec)
	require.InDelta(t, 4, p.Format.Duration, 0.3)
	require.Empty(t, testpeer.DecodeErrors(t, rec))
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	const key = "sEcReTkEy42"
	badPreset := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badPreset, []byte("name: bad\nvideo:\n  size: 1280x720\n  bitrate: 0\n"), 0o644))
	unknownKey := filepath.Join(dir, "typo.yaml")
	require.NoError(t, os.WriteFile(unknownKey, []byte("name: typo\nvideo:\n  bitrat: 3000k\n"), 0o644))
	ngx := testpeer.StartNginx(t)

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"relay", filepath.Join(dir, "nope.mp4"), "rtmp://127.0.0.1/live/" + key}, 2, `input file "` + filepath.Join(dir, "nope.mp4") + `" not found`},
		{"unreadable file", []string{"relay", dir + "/notmedia.txt", "rtmp://127.0.0.1/live/" + key}, 2, "notmedia.txt"},
		{"unknown preset", []string{"run", "--preset", "nosuch", "--to", "rtmp://127.0.0.1/live/" + key}, 2, `unknown preset "nosuch"`},
		{"invalid preset", []string{"run", "--preset", badPreset, "--to", "rtmp://127.0.0.1/live/" + key}, 2, "bad.yaml:4: video.bitrate: must be > 0"},
		{"unknown preset key", []string{"run", "--preset", unknownKey, "--to", "rtmp://127.0.0.1/live/" + key}, 2, "typo.yaml:3: video.bitrat: unknown key"},
		{"malformed url", []string{"run", "--duration", "1s", "--to", "rtmp//127.0.0.1/live/" + key}, 2, "scheme"},
		{"url without key", []string{"run", "--duration", "1s", "--to", "rtmp://127.0.0.1/live"}, 2, "needs an app and a stream key"},
		{"http url", []string{"run", "--duration", "1s", "--to", "http://127.0.0.1/live/" + key}, 2, `scheme "http" not supported`},
		{"unknown flag", []string{"run", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"connection refused", []string{"run", "--to", "rtmp://127.0.0.1:1/live/" + key}, 1, "connection refused by 127.0.0.1:1"},
		{"dns failure", []string{"run", "--to", "rtmp://no-such-host.invalid/live/" + key}, 1, `cannot resolve server host "no-such-host.invalid"`},
		{"unknown application", []string{"run", "--to", fmt.Sprintf("rtmp://127.0.0.1:%d/nosuchapp/%s", ngx.Port, key)}, 1, `application "nosuchapp"`},
	}
	require.NoError(t, os.WriteFile(dir+"/notmedia.txt", []byte("hello, not a video"), 0o644))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := studio(t, tc.args...)
			require.Equal(t, tc.code, r.code, r.all())
			require.Contains(t, r.stderr, tc.want)
			require.NotContains(t, r.all(), key, "stream key leaked")
			require.Less(t, time.Since(start), 20*time.Second, "gave up too slowly (retry storm?)")
		})
	}
}

func TestPublishRejectedWhileNameInUse(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	const key = "busyKey77"
	first := exec.Command(studioBin, "run", "--duration", "15s", "--to", ngx.URL(key))
	require.NoError(t, first.Start())
	t.Cleanup(func() { _ = first.Process.Kill(); _, _ = first.Process.Wait() })
	require.Eventually(t, func() bool {
		return strings.Contains(ngx.ErrorLog(), "publish: name='"+key+"'")
	}, 10*time.Second, 100*time.Millisecond)

	r := studio(t, "run", "--to", ngx.URL(key))
	require.Equal(t, 1, r.code, r.all())
	require.Contains(t, r.stderr, "server rejected the publish: NetStream.Publish.BadName")
	require.NotContains(t, r.all(), key)
	// At most 3 tries, not a storm.
	require.LessOrEqual(t, strings.Count(ngx.ErrorLog(), "publish: name='"+key+"'"), 4)
}

// startStudio starts the binary in the background and returns it with a
// reader of its stderr lines.
func startStudio(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner) {
	cmd := exec.Command(studioBin, args...)
	pr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(pr)
}

// waitLive reads status lines until the named output is live.
func waitLive(t *testing.T, sc *bufio.Scanner, seconds int) {
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "live") && strings.Contains(line, fmt.Sprintf("00:00:%02d", seconds)) {
			return
		}
	}
	t.Fatal("studio ended before it was live")
}

func TestSIGINTStopsCleanly(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	rec := filepath.Join(t.TempDir(), "sigint.flv")
	const key = "sigintKey5"
	cmd, sc := startStudio(t, "run", "--to", ngx.URL(key), "--record", rec)
	waitLive(t, sc, 3)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	for sc.Scan() { // drain so the process is never blocked on stderr
	}
	err := cmd.Wait()
	require.NoError(t, err, "exit code after SIGINT")
	require.Contains(t, ngx.ErrorLog(), "deleteStream", "stream was not unpublished")
	for _, f := range []string{rec, ngx.WaitRecordingStable(t, key, 10*time.Second)} {
		p := testpeer.FFprobe(t, f)
		require.NotNil(t, p.Video)
		require.InDelta(t, 3.2, p.Format.Duration, 0.8)
		require.Empty(t, testpeer.DecodeErrors(t, f))
	}
}

func TestRecordingSurvivesKill9(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "killed.flv")
	cmd, sc := startStudio(t, "run", "--record", rec)
	waitLive(t, sc, 3)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	p := testpeer.FFprobe(t, rec)
	require.NotNil(t, p.Video)
	require.NotNil(t, p.Audio)
	require.Greater(t, p.Format.Duration, 2.0)
	// A cut-off last tag is the only damage allowed.
	errs := testpeer.DecodeErrors(t, rec)
	require.LessOrEqual(t, strings.Count(errs, "\n"), 2, errs)
}

func TestPresetsAndVersionCommands(t *testing.T) {
	r := studio(t, "presets", "list")
	require.Equal(t, 0, r.code, r.all())
	for _, name := range []string{"demo", "relay", "twitch-720p30", "youtube-1080p30"} {
		require.Contains(t, r.stdout, name)
	}
	r = studio(t, "presets", "show", "twitch-720p30")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "3000k")
	f := filepath.Join(t.TempDir(), "mine.yaml")
	require.NoError(t, os.WriteFile(f, []byte(r.stdout), 0o644))
	r = studio(t, "presets", "validate", f)
	require.Equal(t, 0, r.code, r.all())
	require.Contains(t, r.stdout, "ok")

	r = studio(t, "version")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "studio 0.")

	for _, cmd := range []string{"run", "relay", "presets"} {
		r = studio(t, cmd, "--help")
		require.Equal(t, 0, r.code, cmd)
		require.Contains(t, r.stdout, "Example")
	}
}
