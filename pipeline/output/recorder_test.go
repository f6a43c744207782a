package output

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/filters"
	"studio/internal/testpeer"
	"studio/pipeline/encode"
	"studio/pipeline/media"
	"studio/pipeline/output/flv"
)

// encodedStream encodes nVideo frames of 320x240 gray at 30 fps with
// libx264 and the matching stretch of silence with AAC, and returns the
// stream header and the packets in DTS order.
func encodedStream(t testing.TB, nVideo int) (media.StreamHeader, []*media.Packet) {
	t.Helper()
	venc, err := encode.NewVideo(encode.VideoConfig{
		Width: 320, Height: 240, FrameRate: astiav.NewRational(30, 1), BitrateBps: 500_000,
		KeyintS: 2, Preset: "veryfast", Profile: "high",
	})
	require.NoError(t, err)
	defer venc.Close()
	aenc, err := encode.NewAudio(encode.AudioConfig{SampleRate: 48000, Channels: 2, BitrateBps: 128000})
	require.NoError(t, err)
	defer aenc.Close()

	var pkts []*media.Packet
	emit := func(p *media.Packet) { pkts = append(pkts, p) }

	vf := astiav.AllocFrame()
	defer vf.Free()
	vf.SetWidth(320)
	vf.SetHeight(240)
	vf.SetPixelFormat(astiav.PixelFormatYuv420P)
	require.NoError(t, vf.AllocBuffer(0))
	require.NoError(t, vf.ImageFillBlack())
	for i := 0; i < nVideo; i++ {
		vf.SetPts(int64(i))
		require.NoError(t, venc.Encode(vf, emit))
	}
	require.NoError(t, venc.Encode(nil, emit))

	silence, err := filters.NewGenerator("anullsrc=r=48000:cl=stereo:nb_samples=1024,aformat=sample_fmts=fltp", true)
	require.NoError(t, err)
	defer silence.Close()
	af := astiav.AllocFrame()
	defer af.Free()
	nAudio := nVideo * 48000 / 30 / 1024
	for i := 0; i < nAudio; i++ {
		require.NoError(t, silence.Pull(af))
		af.SetPts(int64(i * 1024))
		require.NoError(t, aenc.Encode(af, emit))
		af.Unref()
	}
	require.NoError(t, aenc.Encode(nil, emit))

	sort.SliceStable(pkts, func(i, j int) bool { return pkts[i].DTS < pkts[j].DTS })
	h := media.StreamHeader{
		AVCConfig: bytes.Clone(venc.ExtraData()), AudioConfig: bytes.Clone(aenc.ExtraData()),
		Width: 320, Height: 240, FrameRate: 30, VideoBitrateKbps: 500, AudioBitrateKbps: 128,
		AudioSampleRate: 48000, AudioChannels: 2, Encoder: "studio-test",
	}
	return h, pkts
}

func releaseAll(pkts []*media.Packet) {
	for _, p := range pkts {
		p.Release()
	}
}

func readTags(t *testing.T, path string) ([]flv.Tag, error) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := flv.NewReader(f)
	require.NoError(t, err)
	require.True(t, r.HasAudio())
	require.True(t, r.HasVideo())
	var tags []flv.Tag
	for {
		tag, err := r.Next()
		if errors.Is(err, io.EOF) {
			return tags, nil
		}
		if err != nil {
			return tags, err
		}
		tags = append(tags, tag)
	}
}

// requireProbedAV checks what ffprobe sees in a recording of encodedStream.
func requireProbedAV(t *testing.T, path string) {
	t.Helper()
	p := testpeer.FFprobe(t, path)
	require.Equal(t, 2, p.Streams, "one video and one audio stream in %s", path)
	require.NotNil(t, p.Video, "no video in %s", path)
	require.NotNil(t, p.Audio, "no audio in %s", path)
	require.Equal(t, "h264", p.Video.CodecName)
	require.Equal(t, "High", p.Video.Profile)
	require.Equal(t, 320, p.Video.Width)
	require.Equal(t, 240, p.Video.Height)
	require.Equal(t, "aac", p.Audio.CodecName)
	require.Equal(t, 48000, p.Audio.SampleRate)
	require.Equal(t, 2, p.Audio.Channels)
}

func TestRecorderWritesPlayableFLV(t *testing.T) {
	h, pkts := encodedStream(t, 40)
	defer releaseAll(pkts)
	path := filepath.Join(t.TempDir(), "rec.flv")
	r := &Recorder{Path: path}
	require.NoError(t, r.Open(context.Background(), h))
	for _, p := range pkts {
		require.NoError(t, r.Write(p))
	}
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close twice is harmless")

	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, st.Size(), r.BytesWritten())

	tags, err := readTags(t, path)
	require.NoError(t, err)
	require.Len(t, tags, 3+len(pkts))

	require.Equal(t, flv.TagScript, tags[0].Type)
	require.True(t, bytes.HasPrefix(tags[0].Body, append([]byte{2, 0, 10}, "onMetaData"...)))
	require.True(t, bytes.Contains(tags[0].Body, []byte("studio-test")))
	require.Equal(t, flv.TagVideo, tags[1].Type)
	require.Equal(t, []byte{0x17, 0}, tags[1].Body[:2], "AVC sequence header")
	sps, pps, err := flv.ParseAVCDecoderConfig(tags[1].Body[5:])
	require.NoError(t, err)
	require.Len(t, sps, 1)
	require.Len(t, pps, 1)
	require.Equal(t, flv.TagAudio, tags[2].Type)
	require.Equal(t, []byte{0xaf, 0}, tags[2].Body[:2], "AAC sequence header")
	require.True(t, bytes.HasPrefix(tags[2].Body[2:], []byte{0x11, 0x90}))
	for _, tag := range tags[:3] {
		require.Zero(t, tag.TimestampMs)
	}

	last := map[byte]uint32{}
	var videos, audios int
	firstVideo := true
	for i, tag := range tags[3:] {
		p := pkts[i]
		require.Equal(t, uint32(roundMs(p.DTS)), tag.TimestampMs)
		require.GreaterOrEqual(t, tag.TimestampMs, last[tag.Type], "tag %d goes back in time", i+3)
		last[tag.Type] = tag.TimestampMs
		switch tag.Type {
		case flv.TagVideo:
			videos++
			key, cts, nalus, err := flv.ParseAVCFrame(tag.Body)
			require.NoError(t, err)
			require.Equal(t, p.Key, key)
			require.Equal(t, int32(roundMs(p.PTS)-roundMs(p.DTS)), cts)
			require.GreaterOrEqual(t, cts, int32(0))
			require.NotEmpty(t, nalus)
			if firstVideo {
				require.True(t, key, "the first video tag must be a keyframe")
				firstVideo = false
			}
		case flv.TagAudio:
			audios++
			require.Equal(t, []byte{0xaf, 1}, tag.Body[:2])
			require.Equal(t, p.Data, tag.Body[2:])
		default:
			t.Fatalf("unexpected tag type %d", tag.Type)
		}
	}
	require.Equal(t, 40, videos)
	require.Equal(t, 40*48000/30/1024+1, audios)

	requireProbedAV(t, path)
	require.Empty(t, testpeer.DecodeErrors(t, path))
}

func TestRecorderFileUsableWithoutClose(t *testing.T) {
	h, pkts := encodedStream(t, 40)
	defer releaseAll(pkts)
	path := filepath.Join(t.TempDir(), "crash.flv")
	r := &Recorder{Path: path}
	require.NoError(t, r.Open(context.Background(), h))
	t.Cleanup(func() { _ = r.Close() })
	half := len(pkts) / 2
	for _, p := range pkts[:half] {
		require.NoError(t, r.Write(p))
	}
	// No Close, no Sync: everything is already in the kernel.
	tags, err := readTags(t, path)
	require.NoError(t, err)
	require.Len(t, tags, 3+half)
	requireProbedAV(t, path)
	require.Empty(t, testpeer.DecodeErrors(t, path))

	// A kill in the middle of a write leaves a truncated last tag: the
	// whole tags before it still play.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	cut := filepath.Join(t.TempDir(), "cut.flv")
	require.NoError(t, os.WriteFile(cut, data[:len(data)-7], 0o644))
	tags, err = readTags(t, cut)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Len(t, tags, 3+half-1)
	requireProbedAV(t, cut)
}

func TestRecorderOpenErrors(t *testing.T) {
	h, pkts := encodedStream(t, 1)
	releaseAll(pkts)
	for _, tc := range []struct {
		name string
		path string
		h    func(media.StreamHeader) media.StreamHeader
		want string
	}{
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir.flv"),
			func(h media.StreamHeader) media.StreamHeader { return h }, "recording"},
		{"no H.264 config", filepath.Join(t.TempDir(), "x.flv"),
			func(h media.StreamHeader) media.StreamHeader { h.AVCConfig = nil; return h }, "H.264 sequence header"},
		{"bad audio rate without config", filepath.Join(t.TempDir(), "y.flv"),
			func(h media.StreamHeader) media.StreamHeader { h.AudioConfig, h.AudioSampleRate = nil, 12345; return h }, "AAC sequence header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Recorder{Path: tc.path}
			err := r.Open(context.Background(), tc.h(h))
			require.Error(t, err)
			var perm *PermanentError
			require.ErrorAs(t, err, &perm)
			require.Contains(t, err.Error(), tc.want)
			require.NoError(t, r.Close())
		})
	}
}

func TestTaggerBody(t *testing.T) {
	annexB := []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65, 0xaa, 0xbb, 0, 0, 1, 0x06, 0x01}
	for _, tc := range []struct {
		name     string
		p        *media.Packet
		typ      byte
		ts       uint32
		wantBody []byte
	}{
		{"audio", media.NewPacket(media.Audio, 1500*time.Millisecond, 1500*time.Millisecond, true, []byte{1, 2, 3}),
			flv.TagAudio, 1500, []byte{0xaf, 1, 1, 2, 3}},
		{"negative DTS clamps to 0", media.NewPacket(media.Audio, -21*time.Millisecond, -21*time.Millisecond, true, []byte{9}),
			flv.TagAudio, 0, []byte{0xaf, 1, 9}},
		{"key video, B-frame delay", media.NewPacket(media.Video, 166*time.Millisecond, 100*time.Millisecond, true, annexB),
			flv.TagVideo, 100, append([]byte{0x17, 1, 0, 0, 66, 0, 0, 0, 3, 0x65, 0xaa, 0xbb, 0, 0, 0, 2}, 0x06, 0x01)},
		{"inter video, sub-ms parts rounded to the nearest", media.NewPacket(media.Video, 133333333, 99999999, false, annexB),
			flv.TagVideo, 100, append([]byte{0x27, 1, 0, 0, 33, 0, 0, 0, 3, 0x65, 0xaa, 0xbb, 0, 0, 0, 2}, 0x06, 0x01)},
		{"negative cts", media.NewPacket(media.Video, 100*time.Millisecond, 133*time.Millisecond, false, annexB),
			flv.TagVideo, 133, append([]byte{0x27, 1, 0xff, 0xff, 0xdf, 0, 0, 0, 3, 0x65, 0xaa, 0xbb, 0, 0, 0, 2}, 0x06, 0x01)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.p.Release()
			var tg tagger
			typ, ts, body := tg.body(tc.p)
			require.Equal(t, tc.typ, typ)
			require.Equal(t, tc.ts, ts)
			require.Equal(t, tc.wantBody, body)
		})
	}
}

func TestTaggerBodyAllocs(t *testing.T) {
	au := append([]byte{0, 0, 0, 1, 0x65}, bytes.Repeat([]byte{0x11, 0, 0, 1, 0x41}, 4000)...)
	v := media.NewPacket(media.Video, 0, 0, true, au)
	a := media.NewPacket(media.Audio, 0, 0, true, make([]byte, 400))
	defer v.Release()
	defer a.Release()
	var tg tagger
	tg.body(v)
	tg.body(a)
	allocs := testing.AllocsPerRun(200, func() {
		tg.body(v)
		tg.body(a)
	})
	require.Zero(t, allocs)
	_, _, body := tg.body(v)
	_, _, nalus, err := flv.ParseAVCFrame(body)
	require.NoError(t, err)
	require.Len(t, nalus, 4001)
	require.True(t, strings.HasPrefix(string(nalus[0]), "\x65\x11"))
}

// An output that joins a running program (the console going live or
// recording at 10 s) starts its stream near zero, timestamps in step.
func TestOutputRebasesLateJoiner(t *testing.T) {
	h, pkts := encodedStream(t, 40)
	defer releaseAll(pkts)
	const joinedAt = 10 * time.Second
	for _, p := range pkts {
		p.DTS += joinedAt
		p.PTS += joinedAt
	}
	path := filepath.Join(t.TempDir(), "late.flv")
	o := New("recording", path, &Recorder{Path: path}, DropPolicy{Limit: 30 * time.Second}, Policy{FirstTries: 1, RejectTries: 1}, t.Logf)
	o.JoinAt(encode.StartOffset)
	o.Start(context.Background(), h)
	// What a joiner gets before its keyframe: audio and the tail of a GOP.
	// Both are dropped, so that sound and picture start together.
	var audio, inter []byte
	for _, p := range pkts {
		if p.Kind == media.Audio && audio == nil {
			audio = p.Data
		}
		if p.Kind == media.Video && !p.Key && inter == nil {
			inter = p.Data
		}
	}
	first := pkts[0].DTS
	o.Push(media.NewPacket(media.Audio, first-60*time.Millisecond, first-60*time.Millisecond, true, audio))
	o.Push(media.NewPacket(media.Video, first-33*time.Millisecond, first-33*time.Millisecond, false, inter))
	o.Push(media.NewPacket(media.Audio, first-10*time.Millisecond, first-10*time.Millisecond, true, audio))
	require.True(t, pkts[0].Key && pkts[0].Kind == media.Video, "the stream proper starts on a keyframe")
	for _, p := range pkts {
		p.Retain()
		o.Push(p)
	}
	require.True(t, o.Stop(5*time.Second))
	require.NoError(t, o.Err())

	tags, err := readTags(t, path)
	require.NoError(t, err)
	require.Len(t, tags, 3+len(pkts))
	// The first picture is shown at the start offset: its tag's decode time
	// plus its composition offset (AVC body bytes 2-4).
	shift := pkts[0].PTS - encode.StartOffset
	cts := int32(tags[3].Body[2])<<16 | int32(tags[3].Body[3])<<8 | int32(tags[3].Body[4])
	require.Equal(t, int64(encode.StartOffset/time.Millisecond), int64(tags[3].TimestampMs)+int64(cts), "first picture lands at the start offset")
	for i, tag := range tags[3:] {
		require.Equal(t, uint32(roundMs(pkts[i].DTS-shift)), tag.TimestampMs, "tag %d", i+3)
	}
	requireProbedAV(t, path)
}
