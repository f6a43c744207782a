package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/pipeline/stats"
)

// smallPreset writes a light 640x360 preset (two cores run several of
// these tests) with extra YAML appended, and returns its path.
func smallPreset(t *testing.T, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "small.yaml")
	yaml := "name: small\nvideo:\n  size: 640x360\n  fps: 30\n  bitrate: 1200k\naudio:\n  bitrate: 128k\n" + extra
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o644))
	return path
}

// watched is a studio run whose stats (--stats-json -) and log lines are
// collected as they come, each with the time it arrived.
type watched struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	snap []stamped[stats.Stats]
	logs []stamped[string]
	done chan struct{}
}

type stamped[T any] struct {
	at time.Time
	v  T
}

func watchStudio(t *testing.T, args ...string) *watched {
	t.Helper()
	w := &watched{cmd: exec.Command(studioBin, append(args, "--stats-json", "-")...), done: make(chan struct{})}
	stdout, err := w.cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := w.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, w.cmd.Start())
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var s stats.Stats
			if json.Unmarshal(sc.Bytes(), &s) == nil {
				w.mu.Lock()
				w.snap = append(w.snap, stamped[stats.Stats]{time.Now(), s})
				w.mu.Unlock()
			}
		}
	}()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			w.mu.Lock()
			w.logs = append(w.logs, stamped[string]{time.Now(), sc.Text()})
			w.mu.Unlock()
			t.Log(sc.Text())
		}
	}()
	go func() { readers.Wait(); close(w.done) }()
	t.Cleanup(func() {
		_ = w.cmd.Process.Kill()
		<-w.done
		_ = w.cmd.Wait()
	})
	return w
}

// output returns the named output of the newest snapshot.
func (w *watched) output(name string) (stats.Output, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.snap) == 0 {
		return stats.Output{}, false
	}
	for _, o := range w.snap[len(w.snap)-1].v.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return stats.Output{}, false
}

// waitState waits until the named output is in state and returns when
// the snapshot saying so arrived.
func (w *watched) waitState(t *testing.T, name, state string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if o, ok := w.output(name); ok && o.State == state {
			return time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	o, _ := w.output(name)
	t.Fatalf("%s never became %s within %s: %+v", name, state, timeout, o)
	return time.Time{}
}

// waitLog waits for a log line containing text that arrived after from.
func (w *watched) waitLog(t *testing.T, text string, from time.Time, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		for _, l := range w.logs {
			if l.at.After(from) && strings.Contains(l.v, text) {
				w.mu.Unlock()
				return l.at
			}
		}
		w.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log line %q within %s", text, timeout)
	return time.Time{}
}

// wait waits for the run to end and returns its exit code and snapshots.
func (w *watched) wait(t *testing.T) (int, []stats.Stats) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("studio did not end")
	}
	err := w.cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var all []stats.Stats
	for _, s := range w.snap {
		all = append(all, s.v)
	}
	return code, all
}

// requireUnbroken checks a recording's video has no hole longer than gap.
func requireUnbroken(t *testing.T, path string, gap float64) {
	t.Helper()
	times := testpeer.PacketTimes(t, path, "v")
	sort.Float64s(times) // presentation order
	require.Greater(t, len(times), 30)
	worst := 0.0
	for i := 1; i < len(times); i++ {
		worst = max(worst, times[i]-times[i-1])
	}
	require.LessOrEqual(t, worst, gap, "%s has a %.3f s hole in its video", path, worst)
	require.Empty(t, testpeer.DecodeErrors(t, path))
}

// The server dies under a live stream and comes back, three times: each
// time the stream is live again within 3 s of the server being back, the
// local recording goes on unbroken, and the stats count the reconnects.
func TestServerKilledThreeTimesUnderALiveStream(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	rec := filepath.Join(t.TempDir(), "local.flv")
	const key = "reconnectKey42"
	w := watchStudio(t, "run", "--preset", smallPreset(t, ""), "--to", ngx.URL(key), "--record", rec, "--duration", "26s")
	w.waitState(t, "out1", stats.StateLive, 10*time.Second)
	for i := 1; i <= 3; i++ {
		time.Sleep(3 * time.Second)
		ngx.Stop(t)
		w.waitState(t, "out1", stats.StateReconnecting, 5*time.Second)
		time.Sleep(1500 * time.Millisecond)
		// The server may take the stream back before Restart returns
		// (Restart waits for the port): look from before it, count from
		// after it.
		restart := time.Now()
		ngx.Restart(t)
		back := time.Now()
		again := w.waitLog(t, "out1: live again", restart, 10*time.Second)
		took := max(again.Sub(back), 0)
		t.Logf("outage %d: live again %.2f s after the server was back", i, took.Seconds())
		require.LessOrEqual(t, took, 3*time.Second)
	}
	code, all := w.wait(t)
	require.Equal(t, 0, code)
	final := all[len(all)-1]
	require.True(t, final.Final)
	var out1 stats.Output
	for _, o := range final.Outputs {
		if o.Name == "out1" {
			out1 = o
		}
	}
	require.EqualValues(t, 3, out1.Reconnects)
	// The recording does not care about the network.
	requireUnbroken(t, rec, 0.1)
	require.InDelta(t, 26, testpeer.FFprobe(t, rec).Format.Duration, 0.5)
	// The last publish decodes and starts on a keyframe with its sound.
	last := ngx.WaitRecordingStable(t, key, 10*time.Second)
	p := testpeer.FFprobe(t, last)
	require.NotNil(t, p.Video)
	require.NotNil(t, p.Audio)
	require.Empty(t, testpeer.DecodeErrors(t, last))
}

// A link that carries half the stream for 20 s: the queue stays within a
// second, frames are dropped and counted, adaptive bitrate brings the
// target under the link rate and climbs back once the link is free, the
// memory stays bounded, and what the server got still decodes.
func TestThrottledLinkDropsAndAdapts(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	proxy := testpeer.StartProxy(t, fmt.Sprintf("127.0.0.1:%d", ngx.Port))
	rec := filepath.Join(t.TempDir(), "local.flv")
	const key = "throttleKey5"
	url := fmt.Sprintf("rtmp://%s/live/%s", proxy.Addr(), key)
	preset := smallPreset(t, "network:\n  adaptive_bitrate: true\n  min_bitrate: 200k\n")
	w := watchStudio(t, "run", "--preset", preset, "--to", url, "--record", rec, "--duration", "50s")
	w.waitState(t, "out1", stats.StateLive, 10*time.Second)
	time.Sleep(4 * time.Second)
	const streamKbps = 1200 + 128
	link := streamKbps * 1000 / 8 / 2 // bytes per second: half the stream
	proxy.SetRate(link)
	throttled := time.Now()
	time.Sleep(20 * time.Second)
	proxy.SetRate(0)
	freed := time.Now()
	code, _ := w.wait(t)
	require.Equal(t, 0, code)

	var (
		maxQueue         int64
		minTarget        = 1e9
		rssBefore, rss   float64
		dropsDuring      int64
		targetAtEnd      float64
		squeezed, recovd []string
	)
	w.mu.Lock()
	snaps := append([]stamped[stats.Stats](nil), w.snap...)
	w.mu.Unlock()
	for _, s := range snaps {
		out := s.v.Outputs[0]
		during := s.at.After(throttled) && s.at.Before(freed)
		if s.at.Before(throttled) {
			rssBefore = max(rssBefore, s.v.Process.RSSMB)
		}
		if during {
			maxQueue = max(maxQueue, out.QueueMs)
			minTarget = min(minTarget, s.v.Video.TargetKbps)
			dropsDuring = out.FramesDropped
			squeezed = append(squeezed, fmt.Sprintf("%d/%.0f", out.QueueMs, s.v.Video.TargetKbps))
		} else if s.at.After(freed) {
			recovd = append(recovd, fmt.Sprintf("%d/%.0f", out.QueueMs, s.v.Video.TargetKbps))
		}
		rss = max(rss, s.v.Process.RSSMB)
		if !s.v.Final {
			targetAtEnd = s.v.Video.TargetKbps
		}
	}
	t.Logf("queue ms/target kb/s while throttled: %v", squeezed)
	t.Logf("after: %v", recovd)
	t.Logf("max queue %d ms, min target %.0f kb/s, drops %d, RSS %.0f MB before, %.0f MB max",
		maxQueue, minTarget, dropsDuring, rssBefore, rss)
	require.LessOrEqual(t, maxQueue, int64(1000), "queue_ms while throttled")
	require.Positive(t, dropsDuring, "frames dropped and counted")
	linkKbps := float64(link) * 8 / 1000
	require.Less(t, minTarget+128, linkKbps, "the target (plus audio) went under the link rate")
	require.Greater(t, targetAtEnd, minTarget+200, "the target climbed back after the throttle")
	require.Less(t, rss, rssBefore+60, "memory stays bounded")

	// The recording is untouched; what the server got decodes.
	requireUnbroken(t, rec, 0.1)
	got := ngx.WaitRecordingStable(t, key, 10*time.Second)
	require.Empty(t, testpeer.DecodeErrors(t, got))
}

// A peer that accepts and stops reading is found out within 5 s and
// retried; the other destination of the same run does not notice.
func TestStalledPeerDoesNotHurtTheOtherDestination(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	proxy := testpeer.StartProxy(t, fmt.Sprintf("127.0.0.1:%d", ngx.Port))
	rec := filepath.Join(t.TempDir(), "local.flv")
	stalled := fmt.Sprintf("rtmp://%s/live/stalledKey", proxy.Addr())
	w := watchStudio(t, "run", "--preset", smallPreset(t, ""), "--to", ngx.URL("healthyKey"), "--to", stalled,
		"--record", rec, "--duration", "24s")
	w.waitState(t, "out2", stats.StateLive, 10*time.Second)
	time.Sleep(3 * time.Second)
	proxy.Stall(true)
	from := time.Now()
	seen := w.waitLog(t, "stalled peer", from, 10*time.Second)
	t.Logf("stall found after %.2f s", seen.Sub(from).Seconds())
	require.LessOrEqual(t, seen.Sub(from), 5*time.Second)
	accepted := proxy.Accepted()
	require.Eventually(t, func() bool { return proxy.Accepted() > accepted }, 8*time.Second, 100*time.Millisecond,
		"no reconnect attempt after the stall")
	code, all := w.wait(t)
	require.Equal(t, 0, code)

	var rates []float64
	for _, s := range all {
		if s.Final || s.UptimeS < 2 || s.UptimeS > 22 {
			continue // whole seconds, once settled, before the stop drains
		}
		for _, o := range s.Outputs {
			if o.Name == "out1" {
				rates = append(rates, o.BitrateKbps)
			}
		}
	}
	t.Logf("out1 kb/s each second: %v", rates)
	for _, r := range rates {
		require.InDelta(t, 1330, r, 600, "out1's rate each second: %v", rates)
	}
	final := all[len(all)-1]
	out1, out2 := final.Outputs[0], final.Outputs[1]
	require.Equal(t, "out1", out1.Name)
	require.Zero(t, out1.FramesDropped)
	require.Zero(t, out1.Reconnects)
	require.NotEqual(t, stats.StateLive, out2.State)
	requireUnbroken(t, ngx.WaitRecordingStable(t, "healthyKey", 10*time.Second), 0.1)
	requireUnbroken(t, rec, 0.1)
	require.InDelta(t, 24, testpeer.FFprobe(t, ngx.Recording("healthyKey")).Format.Duration, 1)
}
