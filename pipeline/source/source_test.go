package source

import (
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
	"studio/pipeline/media"
)

// readStats is what a run over a source saw.
type readStats struct {
	videoFrames  int
	audioSamples int
	lastVideo    time.Duration
	audioEnd     time.Duration
	err          error
}

// readAll reads s until io.EOF (or until stop says so) checking the
// invariants every source promises: program format, contiguous PTS,
// presentation order.
func readAll(t *testing.T, s Source, stop func(readStats) bool) readStats {
	t.Helper()
	f := s.Format()
	var st readStats
	var lastTime time.Duration
	nextV, nextA := int64(0), int64(0)
	shortAudio := false
	for i := 0; i < 100000; i++ {
		fr, err := s.Read()
		if err != nil {
			st.err = err
			return st
		}
		require.GreaterOrEqual(t, fr.Time, lastTime, "frame %d out of presentation order", i)
		lastTime = fr.Time
		switch fr.Kind {
		case media.Video:
			require.Equal(t, nextV, fr.PTS, "video PTS gap or repeat")
			require.Equal(t, fr.PTS, fr.AV.Pts())
			require.Equal(t, f.Width, fr.AV.Width())
			require.Equal(t, f.Height, fr.AV.Height())
			require.Equal(t, astiav.PixelFormatYuv420P, fr.AV.PixelFormat())
			require.Equal(t, f.VideoTime(fr.PTS), fr.Time)
			nextV++
			st.videoFrames++
			st.lastVideo = fr.Time
		case media.Audio:
			require.Equal(t, nextA, fr.PTS, "audio PTS gap or overlap")
			// Only the very last frame of a finite input may be short (the
			// AAC encoder takes a small last frame).
			require.False(t, shortAudio, "a short audio frame before the end")
			require.LessOrEqual(t, fr.AV.NbSamples(), AudioFrameSamples)
			shortAudio = fr.AV.NbSamples() < AudioFrameSamples
			require.Equal(t, astiav.SampleFormatFltp, fr.AV.SampleFormat())
			require.Equal(t, f.Channels, fr.AV.ChannelLayout().NbChannels())
			require.Equal(t, f.SampleRate, fr.AV.SampleRate())
			nextA += int64(fr.AV.NbSamples())
			st.audioSamples += fr.AV.NbSamples()
			st.audioEnd = f.AudioTime(nextA)
		default:
			t.Fatalf("frame %d has kind %v", i, fr.Kind)
		}
		if stop != nil && stop(st) {
			return st
		}
	}
	t.Fatal("source never ended")
	return st
}

func TestTestPattern(t *testing.T) {
	tp, err := NewTestPattern(1280, 720, astiav.NewRational(30, 1))
	require.NoError(t, err)
	defer tp.Close()
	f := tp.Format()
	require.Equal(t, Format{Width: 1280, Height: 720, FrameRate: astiav.NewRational(30, 1), SampleRate: 48000, Channels: 2}, f)
	require.Zero(t, tp.CorruptPackets())

	var tone []float32
	var peak float64
	st := readAll(t, tp, func(st readStats) bool { return st.audioSamples >= 48000+1024 && st.videoFrames >= 31 })
	require.NoError(t, st.err)
	require.GreaterOrEqual(t, st.lastVideo, time.Second)

	// Second pass for the tone: keep copies of the left channel.
	tp2, err := NewTestPattern(320, 240, astiav.NewRational(30, 1))
	require.NoError(t, err)
	defer tp2.Close()
	for len(tone) < 48000 {
		fr, err := tp2.Read()
		require.NoError(t, err)
		if fr.Kind != media.Audio {
			continue
		}
		l, r := av.PlanarFloat(fr.AV, 0), av.PlanarFloat(fr.AV, 1)
		require.Len(t, l, 1024)
		require.Equal(t, l, r, "both channels carry the same tone")
		tone = append(tone, l...)
	}
	tone = tone[:48000]
	crossings := 0
	for i := 1; i < len(tone); i++ {
		if (tone[i-1] < 0) != (tone[i] < 0) {
			crossings++
		}
		peak = max(peak, math.Abs(float64(tone[i])))
	}
	require.InDelta(t, 2000, crossings, 2, "1 kHz has 2000 zero crossings a second")
	require.InDelta(t, -21.1, 20*math.Log10(peak), 0.1, "tone level (1/8 upmixed at -3 dB)")
}

func TestTestPatternMono(t *testing.T) {
	tp, err := NewTestPatternFormat(Format{Width: 320, Height: 240, FrameRate: astiav.NewRational(25, 1), SampleRate: 44100, Channels: 1})
	require.NoError(t, err)
	defer tp.Close()
	require.Equal(t, 44100, tp.Format().SampleRate)
	require.Equal(t, 1, tp.Format().Channels)
	var peak float64
	st := readAll(t, tp, func(st readStats) bool {
		return st.audioSamples >= 44100
	})
	require.NoError(t, st.err)
	// readAll checked mono 44.1 kHz frames; the level without upmix is 1/8.
	fr, err := tp.Read()
	require.NoError(t, err)
	for fr.Kind != media.Audio {
		fr, err = tp.Read()
		require.NoError(t, err)
	}
	require.Nil(t, av.PlanarFloat(fr.AV, 1))
	for _, v := range av.PlanarFloat(fr.AV, 0) {
		peak = max(peak, math.Abs(float64(v)))
	}
	require.InDelta(t, -18.1, 20*math.Log10(peak), 0.1)
}

func TestFileSourceAudioFormat(t *testing.T) {
	in := ffmpegGen(t, "in.mp4", avInput...)
	f := openFile(t, FileConfig{Input: in, SampleRate: 44100, Channels: 1})
	require.Equal(t, 44100, f.Format().SampleRate)
	require.Equal(t, 1, f.Format().Channels)
	st := readAll(t, f, nil)
	require.ErrorIs(t, st.err, io.EOF)
	require.InDelta(t, 2*44100, st.audioSamples, 2048)
	require.InDelta(t, 50, st.videoFrames, 1)
}

// ffmpegGen runs the ffmpeg CLI to make a test input.
func ffmpegGen(t *testing.T, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-v", "error", "-y"}, args...), path)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return path
}

var avInput = []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=f=440:r=44100",
	"-t", "2", "-c:v", "libx264", "-c:a", "aac", "-ac", "1"}

func openFile(t *testing.T, cfg FileConfig) *File {
	t.Helper()
	if cfg.MaxWidth == 0 {
		cfg.MaxWidth, cfg.MaxHeight, cfg.MaxFrameRate = 1920, 1080, 60
	}
	f, err := OpenFile(cfg)
	require.NoError(t, err)
	t.Cleanup(f.Close)
	return f
}

func TestFileSource(t *testing.T) {
	in := ffmpegGen(t, "in.mp4", avInput...)
	f := openFile(t, FileConfig{Input: in})
	format := f.Format()
	require.Equal(t, 320, format.Width)
	require.Equal(t, 240, format.Height)
	require.Equal(t, 25.0, format.FrameRate.Float64())
	require.Equal(t, 48000, format.SampleRate)
	require.Equal(t, 2, format.Channels)

	st := readAll(t, f, nil)
	require.ErrorIs(t, st.err, io.EOF)
	require.InDelta(t, 50, st.videoFrames, 1)
	require.InDelta(t, 2*48000, st.audioSamples, 2048)
	require.Zero(t, f.CorruptPackets())
	_, err := f.Read()
	require.ErrorIs(t, err, io.EOF, "EOF is sticky")
}

func TestFileSourceNoAudio(t *testing.T) {
	in := ffmpegGen(t, "video.mp4", append(append([]string{}, avInput...), "-an")...)
	f := openFile(t, FileConfig{Input: in})
	st := readAll(t, f, nil)
	require.ErrorIs(t, st.err, io.EOF)
	require.InDelta(t, 50, st.videoFrames, 1)
	videoEnd := st.lastVideo + 40*time.Millisecond
	frame := time.Second * AudioFrameSamples / ProgramSampleRate
	require.GreaterOrEqual(t, st.audioEnd, videoEnd-frame, "silence must cover the video")
	require.LessOrEqual(t, st.audioEnd, videoEnd+2*frame, "silence must not run past the video")
}

func TestFileSourceNoVideo(t *testing.T) {
	in := ffmpegGen(t, "audio.m4a", "-f", "lavfi", "-i", "sine=f=440:r=44100", "-t", "2", "-c:a", "aac")
	f := openFile(t, FileConfig{Input: in})
	require.Equal(t, 1280, f.Format().Width, "default program size without video")
	st := readAll(t, f, nil)
	require.ErrorIs(t, st.err, io.EOF)
	require.InDelta(t, 2*48000, st.audioSamples, 2048)
	require.InDelta(t, 60, st.videoFrames, 2, "black video covers the audio")
}

func TestFileSourceLoop(t *testing.T) {
	in := ffmpegGen(t, "in.mp4", avInput...)
	f := openFile(t, FileConfig{Input: in, Loop: true})
	st := readAll(t, f, func(st readStats) bool { return st.videoFrames >= 5*25 && st.audioEnd >= 5*time.Second })
	require.NoError(t, st.err, "a looping file never ends")
	require.GreaterOrEqual(t, st.lastVideo, 4960*time.Millisecond)
	// readAll already checked that video PTS went up by exactly 1 and audio
	// by exactly 1024 across the loop seams; time must also stay level.
	require.InDelta(t, float64(st.lastVideo), float64(st.audioEnd), float64(200*time.Millisecond))
}

func TestFileSourceForcedFormat(t *testing.T) {
	in := ffmpegGen(t, "in.mp4", avInput...)
	f := openFile(t, FileConfig{Input: in, Width: 640, Height: 360, FrameRate: astiav.NewRational(30, 1)})
	format := f.Format()
	require.Equal(t, 640, format.Width)
	require.Equal(t, 360, format.Height)
	require.Equal(t, 30.0, format.FrameRate.Float64())
	st := readAll(t, f, nil)
	require.ErrorIs(t, st.err, io.EOF)
	require.InDelta(t, 60, st.videoFrames, 1)
}

func TestFileSourceCaps(t *testing.T) {
	in := ffmpegGen(t, "in.mp4", avInput...)
	f := openFile(t, FileConfig{Input: in, MaxWidth: 160, MaxHeight: 160, MaxFrameRate: 20})
	format := f.Format()
	require.Equal(t, 160, format.Width)
	require.Equal(t, 120, format.Height)
	require.InDelta(t, 20.0, format.FrameRate.Float64(), 1e-9)
	st := readAll(t, f, nil)
	require.ErrorIs(t, st.err, io.EOF)
	require.InDelta(t, 40, st.videoFrames, 1)
}

func TestFileSourceCorruptInput(t *testing.T) {
	in := ffmpegGen(t, "in.ts", avInput...)
	data, err := os.ReadFile(in)
	require.NoError(t, err)
	require.Greater(t, len(data), 8192)
	mid := len(data) / 2
	for i := mid; i < mid+2048; i++ {
		data[i] = 0xff
	}
	require.NoError(t, os.WriteFile(in, data, 0o644))

	f := openFile(t, FileConfig{Input: in})
	st := readAll(t, f, nil)
	require.ErrorIs(t, st.err, io.EOF)
	require.GreaterOrEqual(t, f.CorruptPackets(), int64(0))
	// fps= fills what was lost: the timeline stays whole.
	require.InDelta(t, 50, st.videoFrames, 3)
	require.InDelta(t, 2*48000, st.audioSamples, 4096)
	t.Logf("corrupt packets: %d", f.CorruptPackets())
}

func TestOpenFileErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.mp4")
	require.NoError(t, os.WriteFile(junk, []byte("this is not a media file at all"), 0o644))
	for _, tc := range []struct {
		name, input string
	}{
		{"missing", filepath.Join(dir, "nope.mp4")},
		{"junk", junk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := OpenFile(FileConfig{Input: tc.input})
			require.Error(t, err)
			require.Nil(t, f)
			require.Contains(t, err.Error(), tc.input)
		})
	}
}

func TestFitSize(t *testing.T) {
	for _, tc := range []struct {
		w, h, maxW, maxH int
		wantW, wantH     int
	}{
		{320, 240, 1920, 1080, 320, 240},
		{3840, 2160, 1920, 1080, 1920, 1080},
		{1080, 1920, 1920, 1080, 606, 1080},
		{2000, 1000, 1920, 1080, 1920, 960},
		{321, 241, 0, 0, 320, 240},
		{1, 1, 0, 0, 2, 2},
		{0, 0, 1920, 1080, 1280, 720},
	} {
		w, h := fitSize(tc.w, tc.h, tc.maxW, tc.maxH)
		require.Equal(t, [2]int{tc.wantW, tc.wantH}, [2]int{w, h}, "%dx%d in %dx%d", tc.w, tc.h, tc.maxW, tc.maxH)
	}
}

func TestTestPatternLooks(t *testing.T) {
	f := Format{Width: 320, Height: 180, FrameRate: astiav.NewRational(30, 1)}
	// A caption with every character the filter-graph syntax treats specially.
	look := PatternLook{Pattern: "color", Color: "#2040c0", Text: `It's 5:00, [live]; 100% \o/`, ToneHz: 0}
	tp, err := NewTestPatternLook(f, look)
	require.NoError(t, err)
	defer tp.Close()
	var sawVideo, sawAudio bool
	for !sawVideo || !sawAudio {
		fr, err := tp.Read()
		require.NoError(t, err)
		switch fr.Kind {
		case media.Audio:
			sawAudio = true
			for _, v := range av.PlanarFloat(fr.AV, 0) {
				require.Zero(t, v, "tone_hz 0 is silence")
			}
		case media.Video:
			sawVideo = true
			// Top-left luma of #2040c0 (BT.601 limited): 16 + 0.257*32 + 0.504*64 + 0.098*192 ≈ 75.
			y := fr.AV.Data()
			plane, err := y.Bytes(1)
			require.NoError(t, err)
			require.InDelta(t, 75, int(plane[0]), 3)
		}
	}
	for _, bad := range []PatternLook{{Pattern: "plasma"}} {
		_, err := NewTestPatternLook(f, bad)
		require.Error(t, err)
	}
	bars, err := NewTestPatternLook(f, PatternLook{Pattern: "smptehdbars", ToneHz: 440})
	require.NoError(t, err)
	bars.Close()
}

func TestInputErrorsMaskTheKey(t *testing.T) {
	_, err := OpenFile(FileConfig{Input: "rtmp://127.0.0.1:1/live/SECRETKEY42?token=abc"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "SECRETKEY42")
	require.NotContains(t, err.Error(), "abc")
	require.Contains(t, err.Error(), "rtmp://127.0.0.1:1/live/****")
}
