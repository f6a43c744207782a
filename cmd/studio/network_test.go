package main

import (
	"bufio"
	"encoding/json"
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
		ngx.Restart(t)
		back := time.Now()
		again := w.waitLog(t, "out1: live again", back, 10*time.Second)
		t.Logf("outage %d: live again %.2f s after the server was back", i, again.Sub(back).Seconds())
		require.LessOrEqual(t, again.Sub(back), 3*time.Second)
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
