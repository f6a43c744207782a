package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
)

// recordPreset writes a small test-pattern preset (320x240, 30 fps, tone)
// with the given record section and returns its path.
func recordPreset(t *testing.T, record string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.yaml")
	yaml := "name: rec\nsource:\n  kind: testsrc\n  pattern: testsrc2\n  tone_hz: 1000\n" +
		"video:\n  size: 320x240\n  fps: 30\n  bitrate: 500k\naudio:\n  bitrate: 128k\n" + record
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o644))
	return path
}

// An MKV recording survives kill -9 up to its last closed cluster (at most
// a second behind).
func TestMKVRecordingSurvivesKill9(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "killed.mkv")
	cmd, sc := startStudio(t, "run", "--preset", recordPreset(t, ""), "--record", rec)
	waitLive(t, sc, 4)
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	p := testpeer.FFprobe(t, rec)
	require.Contains(t, p.Format.FormatName, "matroska")
	require.NotNil(t, p.Video)
	require.NotNil(t, p.Audio)
	require.Equal(t, "h264", p.Video.CodecName)
	require.Equal(t, "aac", p.Audio.CodecName)
	// No trailer, so no duration in the file: count what plays.
	require.GreaterOrEqual(t, float64(p.Video.NbFrames)/30, 3.0, "seconds of video")
	require.GreaterOrEqual(t, float64(p.Audio.NbFrames)*1024/48000, 3.0, "seconds of audio")
	require.InDelta(t, 0.1, p.Video.StartTime, 0.001)
	errs := testpeer.DecodeErrors(t, rec)
	require.LessOrEqual(t, strings.Count(errs, "\n"), 2, errs)
}

// record.split_time in the preset: 25 s of program in 10 s parts, each a
// playable file of its own.
func TestRecordingSplitByTime(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "show.mkv")
	r := studio(t, "run", "--preset", recordPreset(t, "record:\n  split_time: 10s\n"),
		"--record", rec, "--duration", "25s", "--realtime=false")
	require.Equal(t, 0, r.code, r.all())

	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	want := []string{filepath.Join(dir, "show-001.mkv"), filepath.Join(dir, "show-002.mkv"), filepath.Join(dir, "show-003.mkv")}
	require.Equal(t, want, names, "three parts and nothing else (no empty show.mkv)")
	frames, audio := 0, 0
	for i, name := range names {
		p := testpeer.FFprobe(t, name)
		require.Contains(t, p.Format.FormatName, "matroska", name)
		require.NotNil(t, p.Video, name)
		require.NotNil(t, p.Audio, name)
		require.InDelta(t, 0.1, p.Video.StartTime, 0.001, "%s starts like a recording from the start", name)
		require.InDelta(t, p.Video.StartTime, p.Audio.StartTime, 0.05, name)
		wantDur := 10.0
		if i == 2 {
			wantDur = 5
		}
		require.InDelta(t, wantDur, float64(p.Video.NbFrames)/30, 0.05, name)
		require.InDelta(t, 0.1+wantDur, p.Format.Duration, 0.05, name)
		require.Empty(t, testpeer.DecodeErrors(t, name))
		times := testpeer.PacketTimes(t, name, "v")
		require.InDelta(t, 0.1, times[0], 0.001, "%s: the keyframe comes first", name)
		frames += p.Video.NbFrames
		audio += p.Audio.NbFrames
	}
	require.Equal(t, 25*30, frames, "every frame in exactly one part")
	require.InDelta(t, 25*48000/1024, audio, 2, "audio packets")
}
