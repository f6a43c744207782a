package testpeer

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// An audio-only stream published by the ffmpeg CLI plays back through
// nginx; ffmpeg probes it for its 5 s analyze duration first.
func TestPlayAudioFromNginx(t *testing.T) {
	n := StartNginx(t)
	pub := exec.Command(need(t, "ffmpeg"), "-nostdin", "-v", "error", "-re",
		"-f", "lavfi", "-i", "sine=f=440:r=48000", "-t", "15", "-ac", "2", "-c:a", "aac", "-f", "flv", n.URL("a"))
	require.NoError(t, pub.Start())
	t.Cleanup(func() { _ = pub.Process.Kill(); _ = pub.Wait() })
	time.Sleep(time.Second)

	wav, took := PlayAudio(t, n.URL("a"), 1.5, 15*time.Second)
	t.Logf("played 1.5 s in %.1f s", took.Seconds())
	p := FFprobe(t, wav)
	require.NotNil(t, p.Audio)
	require.Nil(t, p.Video)
	require.Equal(t, 2, p.Audio.Channels)
	require.InDelta(t, 1.5, p.Format.Duration, 0.05)
	hz, _ := AudioTone(t, wav, 0.2, 1)
	require.InDelta(t, 440, hz, 2)
}
