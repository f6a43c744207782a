package main

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
)

// avsyncTolerance is the most the sound may lead or lag the picture at the
// server: about one frame at 30 fps, well inside what viewers notice
// (EBU R37: +40 ms early / −60 ms late).
const avsyncTolerance = 0.040

// TestRelayAVSync pushes a file with a white flash and a beep at the same
// instants, once a second, through the whole pipeline (demux, decode,
// program clock, encode, RTMP) to nginx, and checks in nginx's recording
// that every beep still comes with its flash.
func TestRelayAVSync(t *testing.T) {
	const (
		seconds = 12
		flashes = seconds - 1 // at 1, 2, … 11 s
	)
	args := append(testpeer.AVSyncInputs(seconds, 1280, 720, 30, 0),
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60",
		"-c:a", "aac", "-b:a", "160k", "-shortest")
	in := testpeer.MakeMedia(t, "avsync.mp4", args...)

	ngx := testpeer.StartNginx(t)
	const key = "avsync"
	r := studio(t, "relay", in, ngx.URL(key))
	require.Equal(t, 0, r.code, r.all())
	rec := ngx.WaitRecordingStable(t, key, 15*time.Second)

	fl := testpeer.FlashTimes(t, rec)
	be := testpeer.BeepOnsets(t, rec)
	t.Logf("flashes %.3f", fl)
	t.Logf("beeps   %.3f", be)
	// No spurious events: at most one per second of input.
	require.LessOrEqual(t, len(fl), flashes, "flashes")
	require.LessOrEqual(t, len(be), flashes, "beeps")

	pairs := testpeer.PairAV(fl, be, 0.5)
	worst := testpeer.AVPair{}
	for _, p := range pairs {
		if math.Abs(p.Offset()) > math.Abs(worst.Offset()) {
			worst = p
		}
	}
	t.Logf("%d pairs, worst offset %+.1f ms (flash at %.3f s; positive: sound late)",
		len(pairs), worst.Offset()*1000, worst.Flash)
	require.GreaterOrEqual(t, len(pairs), flashes-1, "flash/beep pairs found")
	for _, p := range pairs {
		require.InDelta(t, 0, p.Offset(), avsyncTolerance,
			"flash at %.3f s, beep at %.3f s: %+.1f ms apart", p.Flash, p.Beep, p.Offset()*1000)
	}
}
