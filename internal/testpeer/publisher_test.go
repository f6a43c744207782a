package testpeer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPublishToNginx: a publisher's stream reaches nginx in real time as
// H.264 with a key frame every half second and stereo AAC; Pause stops
// it sending and Kill ends it.
func TestPublishToNginx(t *testing.T) {
	n := StartNginx(t)
	p := Publish(t, n.URL("pub"), "-f", "lavfi", "-i", "color=c=0x3060c0:s=320x180:r=30",
		"-f", "lavfi", "-i", "sine=f=600:r=48000")
	time.Sleep(1500 * time.Millisecond)
	p.Pause()
	time.Sleep(500 * time.Millisecond)
	require.False(t, p.Exited())
	p.Resume()
	time.Sleep(500 * time.Millisecond)
	p.Kill()
	require.True(t, p.Exited())
	require.Empty(t, p.Stderr())
	p.Kill() // twice is harmless

	rec := n.WaitRecordingStable(t, "pub", 10*time.Second)
	probe := FFprobe(t, rec)
	require.NotNil(t, probe.Video)
	require.NotNil(t, probe.Audio)
	require.Equal(t, "h264", probe.Video.CodecName)
	require.Equal(t, "aac", probe.Audio.CodecName)
	require.Equal(t, 2, probe.Audio.Channels)
	var keys []float64
	for _, pk := range Packets(t, rec, "v") {
		if pk.Key {
			keys = append(keys, pk.Time)
		}
	}
	require.GreaterOrEqual(t, len(keys), 3)
	for i := 1; i < len(keys); i++ {
		require.InDelta(t, 0.5, keys[i]-keys[i-1], 0.04, "key frames every half second")
	}
	// Real time: about 2.5 s of wall time made about 2 s of media (the
	// pause is made up by reading faster afterwards, as ffmpeg -re does).
	require.InDelta(t, 2.2, probe.Format.Duration, 0.6)
}
