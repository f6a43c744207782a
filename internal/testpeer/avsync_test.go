package testpeer

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFlashTimesAndBeepOnsets(t *testing.T) {
	h264 := []string{"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60"}
	for _, tc := range []struct {
		name  string
		shift float64
		fps   int
		codec []string
		// tol is how close to the signal's own offset each measured
		// offset must be: lossless audio is exact to a sample; AAC moves
		// the first loud sample by a fraction of a millisecond.
		tol float64
	}{
		{"sync.mkv", 0, 30, append(h264, "-c:a", "pcm_s16le"), 0.0005},
		{"sync.mp4", 0, 30, append(h264, "-c:a", "aac", "-b:a", "160k"), 0.002},
		{"sync.flv", 0, 30, append(h264, "-c:a", "aac", "-b:a", "160k"), 0.002},
		{"sync25.flv", 0, 25, append(h264, "-c:a", "aac", "-b:a", "160k"), 0.002},
		{"late100ms.mkv", 0.100, 30, append(h264, "-c:a", "pcm_s16le"), 0.0005},
		{"late100ms.flv", 0.100, 30, append(h264, "-c:a", "aac", "-b:a", "160k"), 0.002},
		{"early60ms.mp4", -0.060, 30, append(h264, "-c:a", "aac", "-b:a", "160k"), 0.002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(AVSyncInputs(6, 320, 180, tc.fps, tc.shift), tc.codec...)
			f := MakeMedia(t, tc.name, append(args, "-shortest")...)
			fl := FlashTimes(t, f)
			be := BeepOnsets(t, f)
			t.Logf("flashes %.4f\nbeeps   %.4f", fl, be)
			// Flashes one second apart from 1 s (FLV may start the video
			// late by the B-frame delay and rounds to the millisecond).
			require.Len(t, fl, 5)
			for i, v := range fl {
				require.InDelta(t, float64(i), v-fl[0], 0.001, "flash %d", i)
			}
			require.InDelta(t, 1, fl[0], 0.1)
			beeps := 0
			for k := 1; float64(k)+tc.shift < 6; k++ {
				beeps++
			}
			require.Len(t, be, beeps)
			pairs := PairAV(fl, be, 0.5)
			require.Len(t, pairs, 5)
			for _, p := range pairs {
				require.InDelta(t, tc.shift, p.Offset(), tc.tol, "pair %+v", p)
			}
		})
	}
}

func TestFlashTimesNoFlashes(t *testing.T) {
	f := MakeMedia(t, "grey.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30", "-t", "2",
		"-c:v", "libx264", "-pix_fmt", "yuv420p")
	require.Empty(t, FlashTimes(t, f), "moving test pattern has no flashes")
	f = MakeMedia(t, "black.mp4", "-f", "lavfi", "-i", "color=c=black:s=320x180:r=30", "-t", "2",
		"-c:v", "libx264", "-pix_fmt", "yuv420p")
	require.Empty(t, FlashTimes(t, f))
}

func TestBeepOnsetsSilenceAndTone(t *testing.T) {
	f := MakeMedia(t, "silence.wav", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "2")
	require.Empty(t, BeepOnsets(t, f))
	// A steady tone is one onset at its start.
	f = MakeMedia(t, "tone.wav", "-f", "lavfi", "-i", "sine=f=440:r=44100", "-t", "2")
	on := BeepOnsets(t, f)
	require.Len(t, on, 1)
	require.InDelta(t, 0, on[0], 0.001)
}

func TestBeepOnsetsFollowTimestamps(t *testing.T) {
	// Audio that starts late on the file's timeline (an MKV whose audio
	// begins at 0.5 s): the onset is where it plays, not its sample index
	// within the stream.
	f := MakeMedia(t, "late.mkv", "-itsoffset", "0.5", "-f", "lavfi", "-i",
		"aevalsrc='0.5*sin(2*PI*1000*t)*gte(t,0.25)':s=48000:c=mono:d=2", "-c:a", "pcm_s16le")
	require.InDelta(t, 0.5, FFprobe(t, f).Audio.StartTime, 0.001)
	on := BeepOnsets(t, f)
	require.Len(t, on, 1)
	require.InDelta(t, 0.75, on[0], 0.001)
}

func TestOnsetsHoldoff(t *testing.T) {
	mag := make([]float64, 48000)
	set := func(from, to float64, v float64) {
		for i := int(from * 48000); i < int(to*48000); i++ {
			mag[i] = v
		}
	}
	set(0.1, 0.13, 1)
	set(0.2, 0.21, 0.9) // 70 ms after the last loud sample: same beep
	set(0.5, 0.51, 0.6) // 290 ms later: a new beep
	set(0.8, 0.81, 0.4) // below half the peak: no beep
	on := onsets(mag, 48000)
	require.Len(t, on, 2)
	require.InDelta(t, 0.1, on[0], 1e-9)
	require.InDelta(t, 0.5, on[1], 1e-9)
	require.Empty(t, onsets(make([]float64, 100), 48000))
}

func TestPairAV(t *testing.T) {
	pairs := PairAV([]float64{1, 2, 3, 4}, []float64{1.02, 1.9, 2.05, 3.4, 10}, 0.5)
	require.Equal(t, []AVPair{{1, 1.02}, {2, 2.05}, {3, 3.4}}, pairs)
	require.InDelta(t, 0.02, pairs[0].Offset(), 1e-12)
	require.InDelta(t, 0.4, pairs[2].Offset(), 1e-12)
	require.Empty(t, PairAV([]float64{1}, nil, 0.5))
	require.True(t, math.Signbit(AVPair{Flash: 2, Beep: 1.9}.Offset()))
}

func TestParseLuma(t *testing.T) {
	out := "frame:0    pts:0       pts_time:0\nlavfi.signalstats.YAVG=16.0833\n" +
		"frame:1    pts:512     pts_time:0.0333333\nlavfi.signalstats.YAVG=235\n"
	fr, err := parseLuma([]byte(out))
	require.NoError(t, err)
	require.Equal(t, []lumaFrame{{0, 16.0833}, {0.0333333, 235}}, fr)
	_, err = parseLuma([]byte("lavfi.signalstats.YAVG=1\n"))
	require.Error(t, err)
	require.Equal(t, []float64{0.0333333}, flashes(fr))
}
