package pipeline

import (
	"math"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
	"studio/internal/testpeer"
	"studio/pipeline/media"
	"studio/pipeline/source"
	"studio/pipeline/stats"
)

// testFormat is a small program format for switcher tests.
var testFormat = source.Format{Width: 320, Height: 180, FrameRate: astiav.NewRational(30, 1), SampleRate: 48000, Channels: 2}

func twoSceneSwitcher(t *testing.T) *sceneSwitcher {
	t.Helper()
	a, err := source.NewTestPatternLook(testFormat, source.PatternLook{Pattern: "testsrc2", ToneHz: 1000})
	require.NoError(t, err)
	b, err := source.NewTestPatternLook(testFormat, source.PatternLook{Pattern: "smptehdbars", ToneHz: 440})
	require.NoError(t, err)
	w, err := newSceneSwitcher(testFormat, []*programSource{newProgramSource("a", "testsrc", a), newProgramSource("b", "testsrc", b)},
		[]sceneRef{fullScene("A", 0), fullScene("B", 1), fullScene("A again", 0)})
	require.NoError(t, err)
	t.Cleanup(w.Close)
	return w
}

// readN reads until n video frames went by, checking that the program's
// timeline has no gap and no overlap: video one frame after another, audio
// one sample after another. It returns the peak of the audio it saw.
func readN(t *testing.T, w *sceneSwitcher, n int, nextV, nextA *int64) float64 {
	t.Helper()
	peak := 0.0
	for v := 0; v < n; {
		fr, err := w.Read()
		require.NoError(t, err)
		switch fr.Kind {
		case media.Video:
			require.Equal(t, *nextV, fr.PTS, "video frame number")
			require.Equal(t, fr.PTS, fr.AV.Pts())
			require.Equal(t, media.TicksToDuration(fr.PTS, 1, 30), fr.Time)
			*nextV = fr.PTS + 1
			v++
		case media.Audio:
			require.Equal(t, *nextA, fr.PTS, "audio sample position")
			require.Equal(t, fr.PTS, fr.AV.Pts())
			*nextA = fr.PTS + int64(fr.AV.NbSamples())
			for c := 0; c < 2; c++ {
				for _, s := range av.PlanarFloat(fr.AV, c) {
					peak = max(peak, math.Abs(float64(s)))
				}
			}
		}
	}
	return peak
}

func TestSceneSwitchKeepsTimelineContinuous(t *testing.T) {
	w := twoSceneSwitcher(t)
	var nextV, nextA int64
	readN(t, w, 20, &nextV, &nextA)
	require.Equal(t, stats.SourceLive, w.sources[0].state.Load())
	require.Equal(t, stats.SourceStandby, w.sources[1].state.Load())

	require.NoError(t, w.Switch(1))
	readN(t, w, 20, &nextV, &nextA)
	require.Equal(t, stats.SourceStandby, w.sources[0].state.Load())
	require.Equal(t, stats.SourceLive, w.sources[1].state.Load())
	require.EqualValues(t, 20, w.sources[0].frames.Load(), "a paused source is not read")

	// Back to the first source, which resumes where it paused.
	require.NoError(t, w.Switch(2))
	readN(t, w, 10, &nextV, &nextA)
	require.EqualValues(t, 30, w.sources[0].frames.Load())
	// Audio stays within one video frame of video across the switches.
	require.InDelta(t, float64(nextV)/30, float64(nextA)/48000, 1.0/30+1024.0/48000)

	require.Error(t, w.Switch(3))
	require.Error(t, w.Switch(-1))
}

func TestFadersScaleAndMute(t *testing.T) {
	w := twoSceneSwitcher(t)
	var nextV, nextA int64
	full := readN(t, w, 10, &nextV, &nextA)
	require.InDelta(t, -21.1, 20*math.Log10(full), 0.2, "the tone as generated")

	require.NoError(t, w.setGain("a", -6))
	got := readN(t, w, 10, &nextV, &nextA)
	require.InDelta(t, -27.1, 20*math.Log10(got), 0.2, "-6 dB on the source")

	require.NoError(t, w.setGain(MasterName, -3))
	w.levels(nil, true) // the meters start afresh from here
	got = readN(t, w, 10, &nextV, &nextA)
	require.InDelta(t, -30.1, 20*math.Log10(got), 0.2, "source and master gains add up")
	// The source's meter reads after its gain, the master's what is encoded.
	srcs, master, measured := w.levels(nil, true)
	require.True(t, measured)
	require.InDelta(t, -27.1, srcs[0].PeakDBFS, 0.2)
	require.InDelta(t, -30.1, master.PeakDBFS, 0.2)
	require.InDelta(t, -6, srcs[0].GainDB, 0.001)
	require.Equal(t, -120.0, srcs[1].PeakDBFS, "a source off air is silent")

	require.NoError(t, w.setMute("a", true))
	require.Zero(t, readN(t, w, 10, &nextV, &nextA), "muted")
	srcs, master, _ = w.levels(nil, true)
	require.True(t, srcs[0].Muted)
	require.InDelta(t, -27.1, srcs[0].PeakDBFS, 0.2, "a muted source's meter still shows what it hears")
	require.Equal(t, -120.0, master.PeakDBFS)

	require.NoError(t, w.setMute("a", false))
	require.NoError(t, w.setMute(MasterName, true))
	require.Zero(t, readN(t, w, 5, &nextV, &nextA), "master muted")
	require.NoError(t, w.setMute(MasterName, false))
	require.NoError(t, w.setGain("a", 100))
	require.NoError(t, w.setGain(MasterName, 0))
	got = readN(t, w, 5, &nextV, &nextA)
	require.InDelta(t, -21.1+stats.MaxGainDB, 20*math.Log10(got), 0.2, "gain is clamped to +20 dB")

	require.Error(t, w.setMute("nobody", true))
	require.Error(t, w.setGain("nobody", 1))
	require.Error(t, w.setGain("a", math.NaN()))
}

// In the console a source that ends does not end the broadcast: the program
// holds its last picture with silence, the timeline running on, until the
// streamer switches scenes.
func TestEndedSourceIsHeldInTheConsole(t *testing.T) {
	clip := testpeer.MakeMedia(t, "clip.mp4",
		"-f", "lavfi", "-i", "color=c=red:size=320x180:rate=30", "-f", "lavfi", "-i", "sine=f=440:r=48000",
		"-t", "0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
	f := testFormat
	file, err := source.OpenFile(source.FileConfig{Input: clip, Width: 320, Height: 180, FrameRate: f.FrameRate,
		SampleRate: 48000, Channels: 2})
	require.NoError(t, err)
	pattern, err := source.NewTestPatternLook(f, source.DefaultLook)
	require.NoError(t, err)
	w, err := newSceneSwitcher(f, []*programSource{newProgramSource("clip", "file", file), newProgramSource("pattern", "testsrc", pattern)},
		[]sceneRef{fullScene("Clip", 0), fullScene("Pattern", 1)})
	require.NoError(t, err)
	t.Cleanup(w.Close)
	w.holdOnEnd = true

	var nextV, nextA int64
	peak := readN(t, w, 45, &nextV, &nextA) // 1.5 s: the clip is 0.5 s
	require.Greater(t, peak, 0.01, "the clip's tone")
	require.Equal(t, stats.SourceEnded, w.sources[0].state.Load())
	// Held: red picture, silence.
	require.Zero(t, readN(t, w, 15, &nextV, &nextA), "silence while held")
	fr, err := w.Read()
	require.NoError(t, err)
	for fr.Kind != media.Video {
		nextA += int64(fr.AV.NbSamples())
		fr, err = w.Read()
		require.NoError(t, err)
	}
	y, err := fr.AV.Data().Bytes(1)
	require.NoError(t, err)
	require.InDelta(t, 81, int(y[0]), 3, "the last picture (red: Y 81) is held")
	nextV++

	// Switching scenes brings the program back to life, timeline unbroken.
	require.NoError(t, w.Switch(1))
	require.Greater(t, readN(t, w, 15, &nextV, &nextA), 0.01, "the pattern's tone")
	require.Equal(t, stats.SourceLive, w.sources[1].state.Load())
	require.Equal(t, stats.SourceEnded, w.sources[0].state.Load())
}
