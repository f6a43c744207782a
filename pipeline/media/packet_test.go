package media

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKindString(t *testing.T) {
	for _, tc := range []struct {
		k    Kind
		want string
	}{{Video, "video"}, {Audio, "audio"}, {0, "unknown"}, {9, "unknown"}} {
		require.Equal(t, tc.want, tc.k.String())
	}
}

func TestNewPacketCopiesData(t *testing.T) {
	src := []byte{1, 2, 3, 4, 5}
	p := NewPacket(Video, 40*time.Millisecond, 0, true, src)
	defer p.Release()
	src[0], src[4] = 0xAA, 0xBB
	require.Equal(t, []byte{1, 2, 3, 4, 5}, p.Data)
	require.Equal(t, Video, p.Kind)
	require.Equal(t, 40*time.Millisecond, p.PTS)
	require.Equal(t, time.Duration(0), p.DTS)
	require.True(t, p.Key)
	require.EqualValues(t, 1, p.refs.Load())
}

func TestPacketRefcount(t *testing.T) {
	for _, tc := range []struct {
		name    string
		retains int
	}{{"single owner", 0}, {"two extra holders", 2}, {"many holders", 10}} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPacket(Audio, 0, 0, true, []byte("x"))
			for i := 0; i < tc.retains; i++ {
				p.Retain()
			}
			require.EqualValues(t, tc.retains+1, p.refs.Load())
			for i := 0; i < tc.retains; i++ {
				p.Release()
				require.EqualValues(t, tc.retains-i, p.refs.Load(), "still held after release %d", i)
			}
			p.Release()
			require.EqualValues(t, 0, p.refs.Load())
			require.PanicsWithValue(t, "media: packet released more times than retained", p.Release)
		})
	}
}

func TestNewPacketReuseResetsFields(t *testing.T) {
	// Whatever the pool hands back must carry only the new packet's values.
	a := NewPacket(Video, time.Second, time.Second, true, bytes.Repeat([]byte{7}, 100))
	a.Release()
	b := NewPacket(Audio, 2*time.Second, time.Second, false, []byte{1})
	defer b.Release()
	require.Equal(t, Audio, b.Kind)
	require.Equal(t, []byte{1}, b.Data)
	require.Equal(t, 2*time.Second, b.PTS)
	require.False(t, b.Key)
	require.EqualValues(t, 1, b.refs.Load())
}

func TestReleaseDropsHugeBuffers(t *testing.T) {
	p := NewPacket(Video, 0, 0, true, make([]byte, 5<<20))
	require.Len(t, p.Data, 5<<20)
	p.Release()
	require.Nil(t, p.Data, "a >4 MiB buffer must not be kept in the pool")
}

func fanOut(payload []byte) {
	p := NewPacket(Video, time.Second, time.Second, true, payload)
	p.Retain()
	p.Retain()
	p.Release()
	p.Release()
	p.Release()
}

func TestPacketFanOutAllocs(t *testing.T) {
	payload := bytes.Repeat([]byte{0x42}, 20<<10)
	for i := 0; i < 100; i++ { // warm the pool
		fanOut(payload)
	}
	// sync.Pool may drop its items at a GC, which costs one allocation now
	// and then; anything per-packet would show as >= 1.
	runtime.GC()
	fanOut(payload)
	avg := testing.AllocsPerRun(1000, func() { fanOut(payload) })
	require.LessOrEqual(t, avg, 0.1, "NewPacket/Retain/Release must not allocate in steady state")
}

func BenchmarkPacketFanOut(b *testing.B) {
	payload := bytes.Repeat([]byte{0x42}, 20<<10)
	fanOut(payload)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fanOut(payload)
	}
}

func TestVideoPriority(t *testing.T) {
	sc := []byte{0, 0, 0, 1}
	nal := func(hdr byte, payload ...byte) []byte {
		return append(append(append([]byte{}, sc...), hdr), payload...)
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		key  bool
		want Priority
	}{
		{"idr", nal(0x65, 0x88), true, PriorityHighest},
		{"p slice ref_idc 2", nal(0x41, 0x9a), false, PriorityHigh},
		{"non-IDR I ref_idc 3 is not a keyframe", nal(0x61, 0x9a), false, PriorityHigh},
		{"b-pyramid strict ref_idc 1", nal(0x21, 0x9e), false, PriorityLow},
		{"disposable b ref_idc 0", nal(0x01, 0x9e), false, PriorityDisposable},
		{"sei before a disposable slice", cat(nal(0x06, 5, 0, 1, 2, 3, 0x80), nal(0x01, 0x9e)), false, PriorityDisposable},
		{"3-byte start code", []byte{0, 0, 1, 0x01, 0x9e}, false, PriorityDisposable},
		{"no slice: kept as a reference", nal(0x06, 5, 1), false, PriorityHigh},
		{"garbage", []byte{1, 2, 3}, false, PriorityHigh},
		{"empty", nil, false, PriorityHigh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPacket(Video, 0, 0, tc.key, tc.data)
			require.Equal(t, tc.want, p.Priority)
			p.Release()
		})
	}
	a := NewPacket(Audio, 0, 0, true, []byte{0x01})
	require.Equal(t, PriorityHighest, a.Priority, "audio is never dropped")
	a.Release()
}
