package av

import (
	"errors"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
)

// TestLayouts guards call.go's one assumption: astiav's wrappers start
// with their FFmpeg pointer.
func TestLayouts(t *testing.T) {
	codec := astiav.FindEncoder(astiav.CodecIDAac)
	require.NotNil(t, codec)
	cc := astiav.AllocCodecContext(codec)
	defer cc.Free()
	require.Equal(t, codec.Name(), codecName(cc))

	g := astiav.AllocFilterGraph()
	defer g.Free()
	fc, err := g.NewFilterContext(astiav.FindFilterByName("abuffersink"), "out", nil)
	require.NoError(t, err)
	require.Equal(t, "abuffersink", filterName(fc))

	p := astiav.AllocPacket()
	defer p.Free()
	require.Nil(t, PacketData(p), "an empty packet has no payload")
	require.NoError(t, p.FromData([]byte{1, 2, 3}))
	require.Equal(t, p.Data(), PacketData(p))
}

// TestReceiveStatuses: a codec with nothing to give says EAGAIN, then EOF
// once flushed, as astiav's errors, and saying so allocates nothing.
func TestReceiveStatuses(t *testing.T) {
	codec := astiav.FindEncoder(astiav.CodecIDAac)
	cc := astiav.AllocCodecContext(codec)
	defer cc.Free()
	cc.SetSampleFormat(astiav.SampleFormatFltp)
	cc.SetSampleRate(48000)
	cc.SetChannelLayout(astiav.ChannelLayoutStereo)
	cc.SetTimeBase(astiav.NewRational(1, 48000))
	require.NoError(t, cc.Open(codec, nil))
	p := astiav.AllocPacket()
	defer p.Free()
	require.True(t, errors.Is(ReceivePacket(cc, p), astiav.ErrEagain))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = ReceivePacket(cc, p) }))
	require.NoError(t, cc.SendFrame(nil))
	require.True(t, errors.Is(ReceivePacket(cc, p), astiav.ErrEof))

	dec := astiav.AllocCodecContext(astiav.FindDecoder(astiav.CodecIDAac))
	defer dec.Free()
	require.NoError(t, dec.Open(astiav.FindDecoder(astiav.CodecIDAac), nil))
	f := astiav.AllocFrame()
	defer f.Free()
	require.True(t, errors.Is(ReceiveFrame(dec, f), astiav.ErrEagain))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = ReceiveFrame(dec, f) }))
}
