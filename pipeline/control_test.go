package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/pipeline/stats"
	"studio/presets"
)

// statsTap keeps the newest snapshot.
type statsTap struct {
	mu   sync.Mutex
	last stats.Stats
	logs []string
	t    testing.TB
}

// logf records the engine's log lines (and shows them in the test's log).
func (s *statsTap) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.logs = append(s.logs, line)
	t := s.t
	s.mu.Unlock()
	if t != nil {
		t.Log(line)
	}
}

// logged says whether a log line contained text.
func (s *statsTap) logged(text string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.logs {
		if strings.Contains(l, text) {
			return true
		}
	}
	return false
}

// goLive runs preset p in the console's mode and goes live to url as
// out1, waiting until it is live. end stops the run (cancel, then Run's
// result must be nil); Close comes with the test's cleanup.
func goLive(t *testing.T, p *presets.Preset, url string) (e *Engine, tap *statsTap, end func()) {
	t.Helper()
	tap = &statsTap{t: t}
	e, err := Open(Config{Preset: p, Destinations: []Destination{{Name: "out1", URL: url}},
		Realtime: true, Interactive: true, OnStats: tap.put, Logf: tap.logf})
	require.NoError(t, err)
	t.Cleanup(e.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	require.NoError(t, e.GoLive())
	tap.waitOutput(t, "out1", stats.StateLive, 5*time.Second)
	return e, tap, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

func (s *statsTap) put(st stats.Stats) { s.mu.Lock(); s.last = st; s.mu.Unlock() }
func (s *statsTap) get() stats.Stats   { s.mu.Lock(); defer s.mu.Unlock(); return s.last }

func (s *statsTap) waitOutput(t *testing.T, name, state string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, o := range s.get().Outputs {
			if o.Name == name && o.State == state {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became %s: %+v", name, state, s.get().Outputs)
}

func openDemo(t *testing.T, dests []Destination, record string, tap *statsTap) *Engine {
	t.Helper()
	p, err := presets.Load("demo")
	require.NoError(t, err)
	p.Video.Size = presets.Resolution{Width: 640, Height: 360}
	p.Video.Bitrate = 800_000
	tap.mu.Lock()
	tap.t = t
	tap.mu.Unlock()
	e, err := Open(Config{Preset: p, Destinations: dests, RecordPath: record, Realtime: true, Interactive: true,
		OnStats: tap.put, Logf: tap.logf})
	require.NoError(t, err)
	return e
}

// The console's controls, as the console uses them, against a real server:
// idle until going live, a stream that starts near zero and stays
// continuous across a scene switch, mute heard as silence, a recording
// started and stopped mid-stream, and a clean stop.
func TestLiveControlsAgainstNginx(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	dir := t.TempDir()
	var tap statsTap
	e := openDemo(t, []Destination{{Name: "out1", URL: ngx.URL("ctlKey")}}, filepath.Join(dir, "rec.flv"), &tap)
	defer e.Close()
	require.Equal(t, []string{"Live", "Bars", "BRB"}, e.Scenes())
	require.Equal(t, []string{fmt.Sprintf("rtmp://127.0.0.1:%d/live/****", ngx.Port)}, e.Destinations())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()

	// READY: the program runs (meters, preview) but nothing is encoded.
	time.Sleep(1200 * time.Millisecond)
	require.Zero(t, e.framesEncoded.Load(), "nothing is encoded before anything consumes it")
	_, seq := e.Preview(nil, 0)
	require.Zero(t, seq, "the preview costs nothing until asked for")
	e.SetPreview(true)
	time.Sleep(600 * time.Millisecond)
	pic, seq := e.Preview(nil, 0)
	require.NotZero(t, seq)
	same, newest := e.Preview(nil, seq)
	if newest == seq {
		require.Nil(t, same, "the picture the caller has is not copied again")
	}
	require.Equal(t, PreviewWidth, pic.Rect.Dx())
	require.Equal(t, 144, pic.Rect.Dy(), "16:9 kept")
	levels := e.Levels(nil)
	require.Len(t, levels, 4)
	require.Equal(t, "master", levels[3].Name)
	require.InDelta(t, -21.1, levels[0].PeakDBFS, 0.3, "the pattern's tone")

	require.NoError(t, e.GoLive())
	require.Error(t, e.GoLive(), "already live")
	require.True(t, e.Live())
	tap.waitOutput(t, "out1", stats.StateLive, 5*time.Second)
	time.Sleep(2500 * time.Millisecond)
	require.NoError(t, e.SwitchScene(1)) // bars and a 440 Hz tone
	time.Sleep(2500 * time.Millisecond)
	require.NoError(t, e.SetMute("bars", true))
	time.Sleep(1500 * time.Millisecond)

	path, err := e.StartRecording()
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "rec.flv"), path)
	_, err = e.StartRecording()
	require.Error(t, err, "already recording")
	time.Sleep(2 * time.Second)
	got, size, err := e.StopRecording()
	require.NoError(t, err)
	require.Equal(t, path, got)
	require.Greater(t, size, int64(100_000))
	again, err := e.StartRecording()
	require.NoError(t, err)
	require.NotEqual(t, path, again, "an existing recording is never overwritten")
	_, _, err = e.StopRecording()
	require.NoError(t, err)

	require.NoError(t, e.StopLive())
	require.ErrorIs(t, e.StopLive(), ErrNotLive)
	require.False(t, e.Live())
	cancel()
	require.NoError(t, <-done)

	// What the server received.
	rec := ngx.WaitRecordingStable(t, "ctlKey", 10*time.Second)
	probe := testpeer.FFprobe(t, rec)
	v, a := probe.Video, probe.Audio
	require.NotNil(t, v)
	require.NotNil(t, a)
	require.Equal(t, 640, v.Width)
	require.Less(t, v.StartTime, 0.5, "a stream that joins a running program starts near zero")
	require.InDelta(t, 8.5, probe.Format.Duration, 1.5)
	times := testpeer.PacketTimes(t, rec, "v")
	for i := 1; i < len(times); i++ {
		require.Less(t, times[i]-times[i-1], 0.1, "video gap at %.2fs (the scene switch must be seamless)", times[i-1])
	}
	require.Empty(t, testpeer.DecodeErrors(t, rec))
	freq, _ := testpeer.AudioTone(t, rec, 0.5, 1.5)
	require.InDelta(t, 1000, freq, 10, "scene Live: the pattern's 1 kHz")
	r, g, b := testpeer.PixelAt(t, rec, 1.0, 180, 108)
	require.False(t, r > 150 && g > 150 && b < 60, "not yet the bars (%d,%d,%d)", r, g, b)
	freq, _ = testpeer.AudioTone(t, rec, 3.3, 1.2)
	require.InDelta(t, 440, freq, 10, "scene Bars: 440 Hz")
	r, g, b = testpeer.PixelAt(t, rec, 3.8, 180, 108)
	require.True(t, r > 150 && g > 150 && b < 60, "the yellow bar (%d,%d,%d)", r, g, b)
	_, level := testpeer.AudioTone(t, rec, 5.6, 0.8)
	require.Less(t, level, -80.0, "muted")

	// The local recording made mid-stream starts near zero too.
	lp := testpeer.FFprobe(t, path)
	require.NotNil(t, lp.Video)
	require.Less(t, lp.Video.StartTime, 0.5)
	require.InDelta(t, 2, lp.Format.Duration, 0.7)
	require.Empty(t, testpeer.DecodeErrors(t, path))
	_, err = os.Stat(again)
	require.NoError(t, err)
}

// TestRecordingJoinedWithBFrames: a recording started mid-program from a
// preset with B-frames (no zerolatency) lies on the same timestamp grid as
// a stream recorded from the start: first picture at StartOffset, and
// ffmpeg reads it without complaint.
func TestRecordingJoinedWithBFrames(t *testing.T) {
	p, err := presets.Load("twitch-720p30")
	require.NoError(t, err)
	p.Video.Size = presets.Resolution{Width: 640, Height: 360}
	p.Video.Bitrate = 800_000
	want := filepath.Join(t.TempDir(), "joined.flv")
	var tap statsTap
	e, err := Open(Config{Preset: p, RecordPath: want, Realtime: true, Interactive: true, OnStats: tap.put, Logf: t.Logf})
	require.NoError(t, err)
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	time.Sleep(700 * time.Millisecond) // the program runs unencoded a while
	path, err := e.StartRecording()
	require.NoError(t, err)
	time.Sleep(2 * time.Second)
	_, _, err = e.StopRecording()
	require.NoError(t, err)
	cancel()
	require.NoError(t, <-done)

	v := testpeer.FFprobe(t, path).Video
	require.NotNil(t, v)
	require.InDelta(t, 0.1, v.StartTime, 0.0015, "the first picture at StartOffset, as from the start")
	times := testpeer.PacketTimes(t, path, "v")
	require.Greater(t, len(times), 3)
	require.NotEqual(t, times[1]-times[0], times[2]-times[1], "B-frames reorder the pictures")
	require.Empty(t, testpeer.DecodeErrors(t, path))
}

// In the console a destination that cannot connect keeps retrying (the
// streamer sees it and decides); Reconnect tries it now instead of after
// the backoff.
func TestReconnectRetriesAWaitingDestinationNow(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	ngx.Stop(t)
	var tap statsTap
	e := openDemo(t, []Destination{{Name: "out1", URL: ngx.URL("rcKey")}}, "", &tap)
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }() // before Close, also when the test fails

	require.ErrorIs(t, e.Reconnect(), ErrNotLive)
	require.NoError(t, e.GoLive())
	tap.waitOutput(t, "out1", stats.StateReconnecting, 5*time.Second)
	// Tries at about 1, 2.5 and 4.75 s; the next waits about 3.4 s more.
	time.Sleep(5 * time.Second)
	require.Equal(t, stats.StateReconnecting, tap.get().Outputs[0].State, "still retrying, never failed")
	require.Contains(t, tap.get().Outputs[0].LastError, "connection refused")
	ngx.Restart(t)
	require.NoError(t, e.Reconnect())
	tap.waitOutput(t, "out1", stats.StateLive, 5*time.Second)
	require.True(t, tap.logged("out1: retrying now"), "Reconnect cut the wait short")
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, e.StopLive())
	cancel()
	require.NoError(t, <-done, "a destination down does not end a console run")
	done <- nil
	rec := ngx.WaitRecordingStable(t, "rcKey", 10*time.Second)
	require.Empty(t, testpeer.DecodeErrors(t, rec))
	require.Less(t, testpeer.FFprobe(t, rec).Video.StartTime, 0.5)
}

func TestFreshRecordingPath(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)
	require.Equal(t, "studio-2026-11-22_10-04-05.flv", freshRecordingPath("", now))
	want := filepath.Join(dir, "show.flv")
	require.Equal(t, want, freshRecordingPath(want, now))
	require.NoError(t, os.WriteFile(want, nil, 0o644))
	second := filepath.Join(dir, "show-2026-11-22_10-04-05.flv")
	require.Equal(t, second, freshRecordingPath(want, now))
	require.NoError(t, os.WriteFile(second, nil, 0o644))
	require.Equal(t, filepath.Join(dir, "show-2026-11-22_10-04-05-3.flv"), freshRecordingPath(want, now))
}

// Recording, stopping (the encoders go idle) and recording again: the second
// file comes from fresh encoders, so nothing the first session left inside
// them (x264 lookahead without zerolatency) leaks into it.
func TestRecordAgainAfterIdle(t *testing.T) {
	p, err := presets.Load("demo")
	require.NoError(t, err)
	p.Video.Size = presets.Resolution{Width: 640, Height: 360}
	p.Video.Bitrate = 800_000
	p.Video.Tune = "" // lookahead: the encoder holds frames back
	dir := t.TempDir()
	e, err := Open(Config{Preset: p, RecordPath: filepath.Join(dir, "take.flv"), Realtime: true, Interactive: true, Logf: t.Logf})
	require.NoError(t, err)
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()

	var takes []string
	for range 2 {
		path, err := e.StartRecording()
		require.NoError(t, err)
		time.Sleep(2 * time.Second)
		_, _, err = e.StopRecording()
		require.NoError(t, err)
		takes = append(takes, path)
		time.Sleep(time.Second) // idle: nothing encoded
	}
	cancel()
	require.NoError(t, <-done)
	_, err = e.StartRecording()
	require.ErrorIs(t, err, ErrEnded)

	for _, path := range takes {
		probe := testpeer.FFprobe(t, path)
		require.NotNil(t, probe.Video, path)
		require.Less(t, probe.Video.StartTime, 0.2, path)
		require.InDelta(t, 1.6, probe.Format.Duration, 0.6, path)
		times := testpeer.PacketTimes(t, path, "v")
		sort.Float64s(times) // presentation order (B-frames)
		require.Less(t, times[0], 0.2, "%s starts with its own first frame", path)
		// The cut at the end falls where the encoder is mid-reorder: the
		// last P-frame is written, the B-frames before it are still in the
		// encoder. Hence no check of the last 0.2 s.
		for i := 1; i < len(times) && times[i] < times[len(times)-1]-0.2; i++ {
			require.Less(t, times[i]-times[i-1], 0.1, "%s: gap at %.2fs", path, times[i-1])
		}
		require.Empty(t, testpeer.DecodeErrors(t, path), path)
	}
}

// Multistream from the console: a destination added while live joins at a
// keyframe; one removed ends cleanly while the other goes on.
func TestAddAndRemoveDestinationsWhileLive(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	var tap statsTap
	e := openDemo(t, []Destination{{Name: "main", URL: ngx.URL("mainKey")}}, "", &tap)
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()

	_, err := e.AddDestination("", "http://example.com/live/secretKey")
	require.ErrorContains(t, err, "not supported")
	require.NotContains(t, err.Error(), "secretKey")
	// Unnamed ones take the first free outN ("main" is not one of them).
	name, err := e.AddDestination("", ngx.URL("idleKey"))
	require.NoError(t, err)
	require.Equal(t, "out1", name, "the first free outN")
	name, err = e.AddDestination("", ngx.URL("idleKey2"))
	require.NoError(t, err)
	require.Equal(t, "out2", name, "the next free outN")
	require.NoError(t, e.RemoveDestination("out1"), "not live: just forgotten")
	require.NoError(t, e.RemoveDestination("out2"))

	mainFrom := time.Now()
	require.NoError(t, e.GoLive())
	tap.waitOutput(t, "main", stats.StateLive, 5*time.Second)
	time.Sleep(2 * time.Second)
	backupFrom := time.Now()
	name, err = e.AddDestination("backup", ngx.URL("backupKey"))
	require.NoError(t, err)
	require.Equal(t, "backup", name)
	_, err = e.AddDestination("backup", ngx.URL("otherKey"))
	require.ErrorContains(t, err, `already called "backup"`)
	tap.waitOutput(t, "backup", stats.StateLive, 5*time.Second)
	time.Sleep(3 * time.Second)
	require.NoError(t, e.RemoveDestination("main"))
	mainFor := time.Since(mainFrom).Seconds()
	require.ErrorContains(t, e.RemoveDestination("main"), "no destination")
	time.Sleep(2 * time.Second)
	names := []string{}
	for _, o := range tap.get().Outputs {
		names = append(names, o.Name+":"+o.State)
	}
	require.Equal(t, []string{"backup:live"}, names)
	require.True(t, e.Live())
	require.Equal(t, []string{presets.MaskURL(ngx.URL("backupKey"))}, e.Destinations())
	require.NoError(t, e.StopLive())
	backupFor := time.Since(backupFrom).Seconds()

	main := testpeer.FFprobe(t, ngx.WaitRecordingStable(t, "mainKey", 10*time.Second))
	backup := testpeer.FFprobe(t, ngx.WaitRecordingStable(t, "backupKey", 10*time.Second))
	t.Logf("main %.1f s, backup %.1f s (start %.2f)", main.Format.Duration, backup.Format.Duration, backup.Video.StartTime)
	require.InDelta(t, mainFor, main.Format.Duration, 1, "main streamed until removed")
	require.InDelta(t, backupFor, backup.Format.Duration, 1, "backup from its add to the stop")
	require.Less(t, backup.Video.StartTime, 0.5, "the late joiner starts near zero, on a keyframe")
	require.Empty(t, testpeer.DecodeErrors(t, ngx.Recording("backupKey")))
}
