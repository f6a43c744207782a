package av

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
)

func payloadAddr(p *astiav.Packet) unsafe.Pointer {
	return unsafe.Pointer(unsafe.SliceData(PacketData(p)))
}

// padding reads the AV_INPUT_BUFFER_PADDING_SIZE bytes after the payload.
func padding(p *astiav.Packet) []byte {
	cp := packet(p)
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(cp.data), int(cp.size))), paddingSize)
}

// paddingSize is AV_INPUT_BUFFER_PADDING_SIZE in FFmpeg 5.1.
const paddingSize = 64

func TestPacketFillReusesItsBuffer(t *testing.T) {
	p := astiav.AllocPacket()
	defer p.Free()
	big := bytes.Repeat([]byte{0xab}, 10000)
	require.NoError(t, PacketFill(p, big))
	require.Equal(t, big, PacketData(p))
	require.Equal(t, make([]byte, paddingSize), padding(p), "padding is zeroed")
	first := payloadAddr(p)

	// Smaller and a little bigger both fit: same buffer, new payload.
	require.NoError(t, PacketFill(p, []byte{1, 2, 3}))
	require.Equal(t, []byte{1, 2, 3}, PacketData(p))
	require.Equal(t, make([]byte, paddingSize), padding(p), "padding is zeroed after a shrink")
	require.Equal(t, first, payloadAddr(p))
	require.NoError(t, PacketFill(p, bytes.Repeat([]byte{7}, 12000)))
	require.Equal(t, first, payloadAddr(p))
	require.Len(t, PacketData(p), 12000)

	// Timestamps and flags are the caller's and survive a fill.
	p.SetPts(42)
	p.SetStreamIndex(1)
	require.NoError(t, PacketFill(p, []byte{9}))
	require.EqualValues(t, 42, p.Pts())
	require.Equal(t, 1, p.StreamIndex())

	// Far bigger: a new buffer (malloc may hand back the same address, so
	// only the contents say it worked).
	require.NoError(t, PacketFill(p, bytes.Repeat([]byte{5}, 100000)))
	require.Equal(t, bytes.Repeat([]byte{5}, 100000), PacketData(p))
	require.Equal(t, make([]byte, paddingSize), padding(p))

	// Empty payload.
	require.NoError(t, PacketFill(p, nil))
	require.Empty(t, PacketData(p))
}

// A buffer someone else still holds (a muxer keeping the last audio
// packet) is never written over.
func TestPacketFillLeavesSharedBufferAlone(t *testing.T) {
	p := astiav.AllocPacket()
	defer p.Free()
	held := astiav.AllocPacket()
	defer held.Free()
	require.NoError(t, PacketFill(p, []byte("first")))
	require.NoError(t, held.Ref(p))
	require.NoError(t, PacketFill(p, []byte("second")))
	require.Equal(t, []byte("first"), PacketData(held))
	require.Equal(t, []byte("second"), PacketData(p))
	require.NotEqual(t, payloadAddr(held), payloadAddr(p))
}

func TestPacketFillAllocs(t *testing.T) {
	p := astiav.AllocPacket()
	defer p.Free()
	data := bytes.Repeat([]byte{1}, 30000)
	require.NoError(t, PacketFill(p, data))
	require.Zero(t, testing.AllocsPerRun(200, func() { _ = PacketFill(p, data) }))
}

func TestIOTell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tell.bin")
	ic, err := astiav.OpenIOContext("file:"+path, astiav.NewIOContextFlags(astiav.IOContextFlagWrite))
	require.NoError(t, err)
	require.NotNil(t, ioContext(ic))
	require.Zero(t, IOTell(ic))
	ic.Write(bytes.Repeat([]byte{1}, 100000))
	require.EqualValues(t, 100000, IOTell(ic), "buffered bytes count too")
	ic.Flush()
	pos, err := ic.Seek(0, io.SeekCurrent)
	require.NoError(t, err)
	require.Equal(t, pos, IOTell(ic))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.EqualValues(t, 100000, st.Size(), "flushed to the file")
	require.NoError(t, ic.Close())
}
