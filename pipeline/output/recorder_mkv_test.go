package output

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/pipeline/encode"
	"studio/pipeline/media"
)

// probedPacket is one packet as ffprobe reads it from a file.
type probedPacket struct {
	video bool
	pts   float64 // seconds
	key   bool
}

// probePackets lists a file's packets in file order.
func probePackets(t *testing.T, path string) []probedPacket {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=codec_type,pts_time,dts_time,flags",
		"-of", "json", path).Output()
	require.NoError(t, err, "ffprobe %s", path)
	var pj struct {
		Packets []struct {
			CodecType string `json:"codec_type"`
			PTSTime   string `json:"pts_time"`
			DTSTime   string `json:"dts_time"`
			Flags     string `json:"flags"`
		} `json:"packets"`
	}
	require.NoError(t, json.Unmarshal(out, &pj))
	pkts := make([]probedPacket, 0, len(pj.Packets))
	for _, p := range pj.Packets {
		s := p.PTSTime
		if s == "" || s == "N/A" {
			s = p.DTSTime
		}
		pts, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, "packet time %q in %s", s, path)
		pkts = append(pkts, probedPacket{video: p.CodecType == "video", pts: pts, key: strings.HasPrefix(p.Flags, "K")})
	}
	return pkts
}

func count(pkts []*media.Packet, kind media.Kind) int {
	n := 0
	for _, p := range pkts {
		if p.Kind == kind {
			n++
		}
	}
	return n
}

func writeMKV(t *testing.T, path string, h media.StreamHeader, pkts []*media.Packet) *MKVRecorder {
	t.Helper()
	r := &MKVRecorder{Path: path}
	require.NoError(t, r.Open(context.Background(), h))
	for _, p := range pkts {
		require.NoError(t, r.Write(p))
	}
	return r
}

func TestMKVRecorderWritesPlayableFile(t *testing.T) {
	h, pkts := encodedStream(t, 90)
	defer releaseAll(pkts)
	path := filepath.Join(t.TempDir(), "rec.mkv")
	r := writeMKV(t, path, h, pkts)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close twice is harmless")
	require.Error(t, r.Write(pkts[0]), "no writes after Close")

	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, st.Size(), r.BytesWritten())

	requireProbedAV(t, path)
	p := testpeer.FFprobe(t, path)
	require.Contains(t, p.Format.FormatName, "matroska")
	require.Equal(t, 90, p.Video.NbFrames)
	require.Equal(t, count(pkts, media.Audio), p.Audio.NbFrames)
	require.Equal(t, 30.0, p.Video.AvgFrameRate)
	require.InDelta(t, 0.1, p.Video.StartTime, 1e-9, "first picture at StartOffset")
	require.InDelta(t, 0.1+90.0/30, p.Format.Duration, 0.002, "Close writes the duration")
	require.Empty(t, testpeer.DecodeErrors(t, path))

	// Every packet with its own time (to the ms), key frames marked.
	probed := probePackets(t, path)
	require.Len(t, probed, len(pkts))
	var want, got []string
	for _, p := range pkts {
		want = append(want, packetKey(p.Kind == media.Video, roundMs(p.PTS), p.Key || p.Kind == media.Audio))
	}
	for _, p := range probed {
		got = append(got, packetKey(p.video, int64(math.Round(p.pts*1000)), p.key))
	}
	require.ElementsMatch(t, want, got)
	require.True(t, probed[0].video && probed[0].key, "the file starts with the keyframe")
}

func packetKey(video bool, ms int64, key bool) string {
	kind := "a"
	if video {
		kind = "v"
	}
	return kind + strconv.FormatInt(ms, 10) + map[bool]string{true: "K", false: ""}[key]
}

// What kill -9 leaves: the file as it is while open, copied without Close.
// The last keyframe is 1.6 s before the end, so a cluster that only ended
// at keyframes would lose more than MKVClusterTime.
func TestMKVRecorderFileUsableWithoutClose(t *testing.T) {
	const nVideo = 110
	h, pkts := encodedStream(t, nVideo)
	defer releaseAll(pkts)
	path := filepath.Join(t.TempDir(), "crash.mkv")
	r := writeMKV(t, path, h, pkts)
	t.Cleanup(func() { _ = r.Close() })
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.EqualValues(t, len(data), r.BytesWritten(), "everything written is in the file")
	killed := filepath.Join(t.TempDir(), "killed.mkv")
	require.NoError(t, os.WriteFile(killed, data, 0o644))

	requireProbedAV(t, killed)
	p := testpeer.FFprobe(t, killed)
	// Only the cluster being filled (at most MKVClusterTime) is missing.
	lost := int(MKVClusterTime.Seconds()*30) + 1
	require.GreaterOrEqual(t, p.Video.NbFrames, nVideo-lost, "video frames in the killed file")
	t.Logf("killed: %d video, %d/%d audio", p.Video.NbFrames, p.Audio.NbFrames, count(pkts, media.Audio))
	require.Less(t, p.Video.NbFrames, nVideo, "the test must look at an unfinished file")
	require.GreaterOrEqual(t, p.Audio.NbFrames, count(pkts, media.Audio)-lost*48/32)
	require.Empty(t, testpeer.DecodeErrors(t, killed))

	// A kill in the middle of writing a cluster: the clusters before it
	// still play.
	cut := filepath.Join(t.TempDir(), "cut.mkv")
	require.NoError(t, os.WriteFile(cut, data[:len(data)-700], 0o644))
	requireProbedAV(t, cut)
	require.GreaterOrEqual(t, testpeer.FFprobe(t, cut).Video.NbFrames, nVideo-2*lost)
}

func TestMKVRecorderOpenErrors(t *testing.T) {
	h, pkts := encodedStream(t, 1)
	releaseAll(pkts)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		h    func(media.StreamHeader) media.StreamHeader
		want string
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "dir.mkv"),
			func(h media.StreamHeader) media.StreamHeader { return h }, "recording"},
		{"no H.264 config", filepath.Join(dir, "x.mkv"),
			func(h media.StreamHeader) media.StreamHeader { h.AVCConfig = nil; return h }, "H.264 sequence header"},
		{"bad audio rate without config", filepath.Join(dir, "y.mkv"),
			func(h media.StreamHeader) media.StreamHeader { h.AudioConfig, h.AudioSampleRate = nil, 12345; return h }, "AAC sequence header"},
		{"audio only", filepath.Join(dir, "z.mkv"),
			func(h media.StreamHeader) media.StreamHeader {
				return media.StreamHeader{AudioConfig: h.AudioConfig, AudioSampleRate: 48000, AudioChannels: 2}
			}, "an audio-only stream cannot be recorded as MKV (use FLV)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &MKVRecorder{Path: tc.path}
			err := r.Open(context.Background(), tc.h(h))
			require.Error(t, err)
			var perm *PermanentError
			require.ErrorAs(t, err, &perm)
			require.Contains(t, err.Error(), tc.want)
			require.Nil(t, r.fc, "nothing left allocated")
			require.NoError(t, r.Close())
			require.NoFileExists(t, tc.path)
		})
	}
	// Open twice is refused (it would truncate the file).
	path := filepath.Join(dir, "twice.mkv")
	r := &MKVRecorder{Path: path}
	require.NoError(t, r.Open(context.Background(), h))
	defer r.Close()
	require.ErrorContains(t, r.Open(context.Background(), h), "already open")
}

// A recording that joins a running program starts its first picture at
// StartOffset, like the FLV recorder.
func TestMKVRecorderJoinShift(t *testing.T) {
	h, pkts := encodedStream(t, 40)
	defer releaseAll(pkts)
	const joinedAt = 10 * time.Second
	for _, p := range pkts {
		p.DTS += joinedAt
		p.PTS += joinedAt
	}
	path := filepath.Join(t.TempDir(), "late.mkv")
	r := &MKVRecorder{Path: path}
	require.NoError(t, r.Open(context.Background(), h))
	r.setShift(pkts[0].PTS - encode.StartOffset)
	for _, p := range pkts {
		require.NoError(t, r.Write(p))
	}
	require.NoError(t, r.Close())
	p := testpeer.FFprobe(t, path)
	require.InDelta(t, encode.StartOffset.Seconds(), p.Video.StartTime, 1e-9)
	require.InDelta(t, 0.1+40.0/30, p.Format.Duration, 0.002, "40 frames from the start offset")
}

func TestDurationToTicks(t *testing.T) {
	ms := astiav.NewRational(1, 1000)
	for _, tc := range []struct {
		d    time.Duration
		tb   astiav.Rational
		want int64
	}{
		{0, ms, 0},
		{33333333, ms, 33},
		{66666666, ms, 67},
		{1500 * time.Microsecond, ms, 2},
		{-1500 * time.Microsecond, ms, -2},
		{-21333333, ms, -21},
		{time.Second, astiav.NewRational(1, 48000), 48000},
		{time.Second / 3, astiav.NewRational(1, 90000), 30000},
		{100 * time.Hour, ms, 360_000_000},
	} {
		require.Equal(t, tc.want, durationToTicks(tc.d, tc.tb), "%v in %d/%d", tc.d, tc.tb.Num(), tc.tb.Den())
		if tc.d >= 0 { // the tagger clamps negative times to 0 anyway
			require.Equal(t, roundMs(tc.d), durationToTicks(tc.d, ms), "agrees with the FLV tagger")
		}
	}
}

func TestMKVRecorderWriteAllocs(t *testing.T) {
	h, pkts := encodedStream(t, 60)
	defer releaseAll(pkts)
	r := &MKVRecorder{Path: os.DevNull}
	require.NoError(t, r.Open(context.Background(), h))
	defer r.Close()
	orig := make([][2]time.Duration, len(pkts))
	for i, p := range pkts {
		orig[i] = [2]time.Duration{p.PTS, p.DTS}
	}
	i := 0
	write := func() {
		p := pkts[i%len(pkts)]
		loop := time.Duration(i/len(pkts)) * 3 * time.Second
		p.PTS, p.DTS = orig[i%len(pkts)][0]+loop, orig[i%len(pkts)][1]+loop
		require.NoError(t, r.Write(p))
		i++
	}
	for range 2 * len(pkts) { // warm up: buffers reach their size
		write()
	}
	require.Zero(t, testing.AllocsPerRun(5*len(pkts), write), "Write allocates nothing in steady state")
}

// BenchmarkMKVRecorderWrite is the cost of one packet (video and audio
// mixed as in a real stream, 320x240) through the Matroska muxer into
// /dev/null.
func BenchmarkMKVRecorderWrite(b *testing.B) {
	h, pkts := encodedStream(b, 60)
	defer releaseAll(pkts)
	r := &MKVRecorder{Path: os.DevNull}
	require.NoError(b, r.Open(context.Background(), h))
	defer r.Close()
	orig := make([][2]time.Duration, len(pkts))
	var size int64
	for i, p := range pkts {
		orig[i] = [2]time.Duration{p.PTS, p.DTS}
		size += int64(len(p.Data))
	}
	b.SetBytes(size / int64(len(pkts)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pkts[i%len(pkts)]
		loop := time.Duration(i/len(pkts)) * 3 * time.Second
		p.PTS, p.DTS = orig[i%len(pkts)][0]+loop, orig[i%len(pkts)][1]+loop
		if err := r.Write(p); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
