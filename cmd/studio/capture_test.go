package main

// End-to-end capture tests: the binary captures a real X server (Xvfb) and
// a real PulseAudio monitor and streams to a real nginx-rtmp.

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/pipeline/stats"
)

// TestRelayScreenWithDesktopAudio is the check: a known colour on
// the screen and a 1 kHz tone into a PulseAudio sink, captured by `studio
// relay screen` and pushed to nginx, arrive at the preset's size and rate
// with the colour and the tone's frequency and level.
func TestRelayScreenWithDesktopAudio(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	x := testpeer.StartXvfb(t, 960, 540)
	x.Fill(t, "#d04020")
	p := testpeer.StartPulse(t)
	p.PlayTone(t, 1000, -20, 0)
	const key = "screenKey42"
	r := studio(t, "relay", "screen", ngx.URL(key), "--display", x.Display, "--audio", p.Monitor,
		"--preset", "screen-720p30", "--duration", "6s")
	require.Equal(t, 0, r.code, r.all())
	require.NotContains(t, r.all(), key)
	require.Contains(t, r.stderr, "screen "+x.Display+" → 1280x720 @ 30.00 fps")

	got := ngx.WaitRecordingStable(t, key, 10*time.Second)
	checkStream(t, got, 1280, 720, 30, 6)
	// Away from the middle, where the X server's pointer is drawn (the
	// preset captures the cursor).
	cr, cg, cb := testpeer.PixelAt(t, got, 3, 320, 200)
	t.Logf("pixel at 3 s: #%02x%02x%02x", cr, cg, cb)
	require.InDelta(t, 0xd0, int(cr), 8)
	require.InDelta(t, 0x40, int(cg), 8)
	require.InDelta(t, 0x20, int(cb), 8)
	hz, level := testpeer.AudioTone(t, got, 2.5, 3)
	t.Logf("audio 2.5–5.5 s: %.1f Hz at %.2f dBFS RMS (fed −20)", hz, level)
	require.InDelta(t, 1000, hz, 5)
	require.InDelta(t, -20, level, 1, "level within 1 dB of what was fed")
}

// TestScreenLostMidStreamKeepsStreaming: the X server dies 3 s in and
// comes back 4 s later. The stream goes on without a gap (held picture,
// then black), the stats say the source is stalled and why, and the
// screen is picked up again by itself.
func TestScreenLostMidStreamKeepsStreaming(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	x := testpeer.StartXvfb(t, 640, 360)
	x.Fill(t, "#d04020")
	const key = "lostScreen7"
	cmd := exec.Command(studioBin, "relay", "screen", ngx.URL(key), "--display", x.Display, "--audio", "none",
		"--preset", "screen-720p30", "--duration", "12s", "--stats-json", "-")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var states []string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	killed, restarted := false, false
	for sc.Scan() {
		var s stats.Stats
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s))
		if len(s.Sources) == 1 {
			st := s.Sources[0].State
			if st == stats.SourceStalled {
				require.Contains(t, s.Sources[0].Error, "screen "+x.Display)
			}
			states = append(states, st)
		}
		switch {
		case !killed && s.UptimeS >= 3:
			x.Kill(t)
			killed = true
		case killed && !restarted && s.UptimeS >= 7:
			x.Restart(t)
			x.Fill(t, "#2040d0")
			restarted = true
		}
	}
	require.NoError(t, cmd.Wait(), stderr.String())
	t.Logf("source states, one a second: %v", states)
	require.Contains(t, states, stats.SourceStalled)
	require.Equal(t, stats.SourceLive, states[len(states)-2], "live again before the end")
	require.Contains(t, stderr.String(), "capturing again")

	got := ngx.WaitRecordingStable(t, key, 10*time.Second)
	checkStream(t, got, 1280, 720, 30, 12)
	times := testpeer.PacketTimes(t, got, "v")
	sort.Float64s(times)
	for i := 1; i < len(times); i++ {
		require.Less(t, times[i]-times[i-1], 0.05, "video gap at %.3f s", times[i-1])
	}
	r, _, b := testpeer.PixelAt(t, got, 2, 320, 200)
	require.Greater(t, int(r), 0xb0, "the screen at 2 s")
	r, _, b = testpeer.PixelAt(t, got, 11.5, 320, 200)
	require.Greater(t, int(b), 0xb0, "the new screen at 11.5 s")
	require.Less(t, int(r), 0x50)
}

// TestCaptureInputErrors: a missing display, camera or audio device is a
// clear error and exit 2 before going live.
func TestCaptureInputErrors(t *testing.T) {
	x := testpeer.StartXvfb(t, 320, 180)
	p := testpeer.StartPulse(t)
	out := filepath.Join(t.TempDir(), "x.flv")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no X server", []string{"relay", "screen", "--display", ":89", "--record", out, "--audio", "none"},
			[]string{`cannot open X display ":89"`, "is an X server running there?"}},
		{"no camera", []string{"relay", "camera", "--device", "/dev/video97", "--record", out, "--audio", "none"},
			[]string{`camera "/dev/video97" not found`}},
		{"no such audio device", []string{"relay", "screen", "--display", x.Display, "--audio", "usb headset", "--record", out},
			[]string{`audio device "usb headset" not found`, p.Monitor}},
		{"audio on a file", []string{"relay", "in.mp4", "--audio", "default", "--record", out},
			[]string{"--audio applies to the screen and camera inputs"}},
		{"display for a camera", []string{"relay", "camera", "--display", ":0", "--record", out},
			[]string{"--display applies to the screen input"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := studio(t, tc.args...)
			require.Equal(t, 2, r.code, r.all())
			for _, w := range tc.want {
				require.Contains(t, r.stderr, w)
			}
		})
	}
}
