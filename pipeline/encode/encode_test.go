package encode

import (
	"bytes"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/filters"
	"studio/internal/av"
	"studio/pipeline/media"
)

func TestKeyint(t *testing.T) {
	for _, tc := range []struct {
		s    float64
		rate astiav.Rational
		want int
	}{
		{2, astiav.NewRational(30, 1), 60},
		{2, astiav.NewRational(30000, 1001), 60},
		{2, astiav.NewRational(60000, 1001), 120},
		{2, astiav.NewRational(25, 1), 50},
		{1, astiav.NewRational(24000, 1001), 24},
		{4, astiav.NewRational(60, 1), 240},
		{0, astiav.NewRational(30, 1), 1},
		{0.01, astiav.NewRational(30, 1), 1},
	} {
		require.Equal(t, tc.want, Keyint(tc.s, tc.rate), "%v s at %s", tc.s, tc.rate)
	}
}

func liveVideo(t testing.TB) *Encoder {
	t.Helper()
	enc, err := NewVideo(VideoConfig{
		Width: 320, Height: 240, FrameRate: astiav.NewRational(30, 1), BitrateBps: 500_000,
		KeyintS: 2, Preset: "veryfast", Profile: "high",
	})
	require.NoError(t, err)
	t.Cleanup(enc.Close)
	return enc
}

// solid returns one yuv420p frame of a solid colour from a generator graph.
func solid(t testing.TB, color string) *astiav.Frame {
	t.Helper()
	g, err := filters.NewGenerator("color=c="+color+":s=320x240:r=30,format=yuv420p", false)
	require.NoError(t, err)
	defer g.Close()
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	require.NoError(t, g.Pull(f))
	return f
}

func TestPacketViewMatchesData(t *testing.T) {
	enc := liveVideo(t)
	black := solid(t, "black")
	var checked int
	// Call the encoder directly so the astiav.Packet is still referenced.
	for i := 0; i < 40; i++ {
		black.SetPts(int64(i))
		require.NoError(t, enc.cc.SendFrame(black))
		for enc.cc.ReceivePacket(enc.pkt) == nil {
			want := enc.pkt.Data()
			require.NotEmpty(t, want)
			got := av.PacketData(enc.pkt)
			require.Equal(t, want, got)
			require.Equal(t, len(want), enc.pkt.Size())
			enc.pkt.Unref()
			checked++
		}
	}
	require.Greater(t, checked, 0, "the encoder produced no packet")
	empty := astiav.AllocPacket()
	defer empty.Free()
	require.Nil(t, av.PacketData(empty))
}

func TestExtraData(t *testing.T) {
	v := liveVideo(t)
	sps := v.ExtraData()
	// Annex B SPS with profile_idc 100 (High), then a PPS.
	i := bytes.Index(sps, []byte{0, 0, 1, 0x67})
	require.GreaterOrEqual(t, i, 0, "no SPS in % x", sps)
	require.EqualValues(t, 100, sps[i+4], "profile_idc")
	require.True(t, bytes.Contains(sps, []byte{0, 0, 1, 0x68}), "no PPS")

	a, err := NewAudio(AudioConfig{SampleRate: 48000, Channels: 2, BitrateBps: 128000})
	require.NoError(t, err)
	defer a.Close()
	// AAC-LC, 48 kHz, stereo (FFmpeg may append a 3-byte sync extension).
	require.True(t, bytes.HasPrefix(a.ExtraData(), []byte{0x11, 0x90}), "AudioSpecificConfig % x", a.ExtraData())
	require.Equal(t, 1024, a.FrameSize())
}

func TestVideoKeyframesFixedGOP(t *testing.T) {
	enc := liveVideo(t)
	black, white := solid(t, "black"), solid(t, "white")
	// lavfi sources (like decoders) mark their frames as I: the encoder must
	// ignore that and keep its own GOP.
	require.Equal(t, astiav.PictureTypeI, black.PictureType())
	var pkts []*media.Packet
	emit := func(p *media.Packet) { pkts = append(pkts, p) }
	const n = 150
	for i := 0; i < n; i++ {
		f := black
		if i >= 45 { // a hard scene cut: must not add a keyframe
			f = white
		}
		f.SetPts(int64(i))
		require.NoError(t, enc.Encode(f, emit))
	}
	require.NoError(t, enc.Encode(nil, emit))
	require.EqualValues(t, n, enc.Frames())
	require.Len(t, pkts, n)

	var keys []int
	seen := map[int]bool{}
	lastDTS := time.Duration(-1 << 62)
	for _, p := range pkts {
		require.Equal(t, media.Video, p.Kind)
		frame := int((p.PTS - StartOffset + time.Millisecond) * 30 / time.Second)
		require.False(t, seen[frame], "frame %d twice", frame)
		seen[frame] = true
		if p.Key {
			keys = append(keys, frame)
		}
		require.Greater(t, p.DTS, lastDTS, "DTS strictly increasing")
		require.LessOrEqual(t, p.DTS, p.PTS)
		require.Greater(t, p.DTS, time.Duration(0), "StartOffset keeps DTS positive")
		lastDTS = p.DTS
		// Annex B out of the encoder.
		require.True(t, bytes.HasPrefix(p.Data, []byte{0, 0, 0, 1}) || bytes.HasPrefix(p.Data, []byte{0, 0, 1}))
		p.Release()
	}
	require.Equal(t, []int{0, 60, 120}, keys)
	require.Equal(t, StartOffset, pkts[0].PTS, "first packet is frame 0")
}

func TestAudioEncode(t *testing.T) {
	enc, err := NewAudio(AudioConfig{SampleRate: 48000, Channels: 2, BitrateBps: 128000})
	require.NoError(t, err)
	defer enc.Close()
	g, err := filters.NewGenerator("anullsrc=r=48000:cl=stereo:nb_samples=1024,aformat=sample_fmts=fltp", true)
	require.NoError(t, err)
	defer g.Close()
	f := astiav.AllocFrame()
	defer f.Free()
	var pkts []*media.Packet
	emit := func(p *media.Packet) { pkts = append(pkts, p) }
	const n = 50
	for i := 0; i < n; i++ {
		require.NoError(t, g.Pull(f))
		require.Equal(t, 1024, f.NbSamples())
		f.SetPts(int64(i * 1024))
		require.NoError(t, enc.Encode(f, emit))
		f.Unref()
	}
	require.NoError(t, enc.Encode(nil, emit))
	// AAC adds one frame of priming (and flushes it out at the end).
	require.Len(t, pkts, n+1)
	frame := time.Second * 1024 / 48000
	for i, p := range pkts {
		require.Equal(t, media.Audio, p.Kind)
		require.True(t, p.Key)
		require.Equal(t, p.PTS, p.DTS)
		require.InDelta(t, StartOffset+time.Duration(i-1)*frame, p.PTS, float64(time.Microsecond), "packet %d", i)
		require.NotEmpty(t, p.Data)
		p.Release()
	}
}

func TestEncodeAllocs(t *testing.T) {
	enc := liveVideo(t)
	black := solid(t, "black")
	var got int
	emit := func(p *media.Packet) { got++; p.Release() }
	i := int64(0)
	step := func() {
		black.SetPts(i)
		i++
		if err := enc.Encode(black, emit); err != nil {
			t.Fatal(err)
		}
	}
	for j := 0; j < 60; j++ {
		step()
	}
	// Only the packet wrapper may allocate: the payload is copied into a pooled buffer.
	require.LessOrEqual(t, testing.AllocsPerRun(60, step), 1.0)
	require.Greater(t, got, 0)
}

// An output that joins asks for a keyframe and gets it on the next frame.
func TestForceKeyframe(t *testing.T) {
	enc := liveVideo(t)
	black := solid(t, "black")
	var keys []int
	emit := func(p *media.Packet) {
		if p.Key {
			keys = append(keys, int((p.PTS-StartOffset+time.Millisecond)*30/time.Second))
		}
		p.Release()
	}
	for i := 0; i < 90; i++ {
		if i == 25 {
			enc.ForceKeyframe()
		}
		black.SetPts(int64(i))
		require.NoError(t, enc.Encode(black, emit))
	}
	require.NoError(t, enc.Encode(nil, emit))
	require.Contains(t, keys, 25, "the forced keyframe")
	require.Equal(t, 0, keys[0])
	require.Equal(t, []int{0, 25, 85}, keys, "x264 counts the next GOP from the forced keyframe")
}

// TestSetBitrateLive: an adaptive encoder told a lower rate mid-GOP codes
// at that rate from then on, with the same keyframe grid and no restart.
func TestSetBitrateLive(t *testing.T) {
	enc, err := NewVideo(VideoConfig{
		Width: 640, Height: 360, FrameRate: astiav.NewRational(30, 1), BitrateBps: 2_000_000,
		KeyintS: 2, Preset: "veryfast", Profile: "high", Adaptive: true,
	})
	require.NoError(t, err)
	defer enc.Close()
	g, err := filters.NewGenerator("testsrc2=s=640x360:r=30,format=yuv420p", false)
	require.NoError(t, err)
	defer g.Close()
	f := astiav.AllocFrame()
	defer f.Free()

	bytesPerSecond := make([]int, 10)
	var keys []int
	emit := func(p *media.Packet) {
		frame := int((p.PTS - StartOffset + time.Millisecond) * 30 / time.Second)
		bytesPerSecond[frame/30] += len(p.Data)
		if p.Key {
			keys = append(keys, frame)
		}
		p.Release()
	}
	for i := 0; i < 300; i++ {
		if i == 135 { // mid-GOP
			enc.SetBitrate(500_000)
		}
		f.Unref()
		require.NoError(t, g.Pull(f))
		f.SetPts(int64(i))
		require.NoError(t, enc.Encode(f, emit))
	}
	require.NoError(t, enc.Encode(nil, emit))
	require.Equal(t, int64(500_000), enc.Bitrate())
	kbps := func(from, to int) float64 {
		sum := 0
		for _, b := range bytesPerSecond[from:to] {
			sum += b
		}
		return float64(sum*8) / float64(to-from) / 1000
	}
	before, after := kbps(1, 4), kbps(6, 10)
	t.Logf("before %.0f kb/s, after %.0f kb/s", before, after)
	require.InDelta(t, 2000, before, 300, "filler keeps the rate constant")
	require.InDelta(t, 500, after, 100)
	require.Equal(t, []int{0, 60, 120, 180, 240}, keys, "the GOP grid is untouched")
	br, maxr, buf := av.RateControl(enc.cc)
	require.Equal(t, []int64{500_000, 500_000, 500_000}, []int64{br, maxr, int64(buf)})
}
