package flv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// x264Extradata is libx264's Annex B extradata for a 720p High profile
// stream: SPS then PPS behind 4-byte start codes.
var x264Extradata = []byte{
	0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10,
	0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
	0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0,
}

var (
	x264SPS = x264Extradata[4:30]
	x264PPS = x264Extradata[34:]
)

func x264AvcC() []byte {
	out := []byte{0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 26}
	out = append(out, x264SPS...)
	out = append(out, 0x01, 0x00, 6)
	out = append(out, x264PPS...)
	// High profile extension: chroma_format_idc 1, 8-bit luma and chroma,
	// no SPS extensions.
	return append(out, 0xfd, 0xf8, 0xf8, 0x00)
}

func TestAVCDecoderConfig(t *testing.T) {
	baseSPS := []byte{0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf}
	basePPS := []byte{0x68, 0xce, 0x3c, 0x80}
	baseAvcC := append(append(append([]byte{1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 8}, baseSPS...), 1, 0, 4), basePPS...)
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}

	tests := []struct {
		name    string
		in      []byte
		want    []byte
		wantErr string
	}{
		{name: "libx264 720p annex b", in: x264Extradata, want: x264AvcC()},
		{
			name: "baseline with 3-byte start codes, SEI and AUD ignored",
			in: cat([]byte{0, 0, 1, 0x09, 0xf0}, []byte{0, 0, 1}, baseSPS,
				[]byte{0, 0, 1, 0x06, 0x05, 0x01, 0x80}, []byte{0, 0, 0, 1}, basePPS),
			want: baseAvcC,
		},
		{name: "existing avcC returned as is", in: x264AvcC(), want: x264AvcC()},
		{name: "empty", in: nil, wantErr: "neither Annex B nor avcC"},
		{name: "no pps", in: x264Extradata[:30], wantErr: "no pps"},
		{name: "no sps", in: x264Extradata[30:], wantErr: "no sps"},
		{name: "avcC without sps or pps", in: []byte{1, 0x64, 0, 0x1f, 0xff, 0xe0, 0}, wantErr: "avcC has no sps"},
		{name: "truncated avcC", in: x264AvcC()[:20], wantErr: "avcC sps 0"},
		{name: "garbage", in: []byte{0x42, 0x42}, wantErr: "neither Annex B nor avcC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AVCDecoderConfig(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseAVCDecoderConfig(t *testing.T) {
	sps, pps, err := ParseAVCDecoderConfig(x264AvcC())
	require.NoError(t, err)
	require.Equal(t, [][]byte{x264SPS}, sps)
	require.Equal(t, [][]byte{x264PPS}, pps)

	for _, bad := range [][]byte{nil, {1, 2, 3}, {2, 0x64, 0, 0x1f, 0xff, 0xe0, 0}, {1, 0x64, 0, 0x1f, 0xff, 0xe0}} {
		_, _, err := ParseAVCDecoderConfig(bad)
		require.Error(t, err, "%x", bad)
	}
}

func TestAppendAVCSequenceHeader(t *testing.T) {
	avcC := x264AvcC()
	got := AppendAVCSequenceHeader(nil, avcC)
	require.Equal(t, append([]byte{0x17, 0x00, 0, 0, 0}, avcC...), got)
}

func TestAppendAVCFrame(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		key   bool
		cts   int32
		want  []byte
		nalus [][]byte
	}{
		{
			name: "key frame, 3- and 4-byte start codes, AUD dropped",
			in: []byte{
				0, 0, 0, 1, 0x09, 0xf0, // AUD
				0, 0, 0, 1, 0x06, 0x05, 0x02, 0xaa, 0x80, // SEI
				0, 0, 1, 0x65, 0x88, 0x84, 0x21, // IDR slice
				0, 0, 1, 0x65, 0x11, 0x22, // second IDR slice
			},
			key: true,
			cts: 66,
			want: []byte{
				0x17, 0x01, 0, 0, 66,
				0, 0, 0, 5, 0x06, 0x05, 0x02, 0xaa, 0x80,
				0, 0, 0, 4, 0x65, 0x88, 0x84, 0x21,
				0, 0, 0, 3, 0x65, 0x11, 0x22,
			},
			nalus: [][]byte{{0x06, 0x05, 0x02, 0xaa, 0x80}, {0x65, 0x88, 0x84, 0x21}, {0x65, 0x11, 0x22}},
		},
		{
			name: "inter frame, negative cts, trailing zero bytes",
			in:   []byte{0, 0, 1, 0x41, 0x9a, 0x01, 0, 0},
			cts:  -33,
			want: []byte{
				0x27, 0x01, 0xff, 0xff, 0xdf,
				0, 0, 0, 3, 0x41, 0x9a, 0x01,
			},
			nalus: [][]byte{{0x41, 0x9a, 0x01}},
		},
		{
			name: "already length-prefixed copied as is",
			in:   []byte{0, 0, 0, 3, 0x41, 0x9a, 0x01},
			cts:  0x12345,
			want: []byte{
				0x27, 0x01, 0x01, 0x23, 0x45,
				0, 0, 0, 3, 0x41, 0x9a, 0x01,
			},
			nalus: [][]byte{{0x41, 0x9a, 0x01}},
		},
		{
			name:  "only an AUD",
			in:    []byte{0, 0, 0, 1, 0x09, 0x10},
			key:   true,
			want:  []byte{0x17, 0x01, 0, 0, 0},
			nalus: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendAVCFrame(nil, tt.in, tt.key, tt.cts)
			require.Equal(t, tt.want, got)

			key, cts, nalus, err := ParseAVCFrame(got)
			require.NoError(t, err)
			require.Equal(t, tt.key, key)
			require.Equal(t, tt.cts, cts)
			require.Equal(t, tt.nalus, nalus)
		})
	}
}

// AppendLengthPrefixed is the AVC frame body without its 5-byte header,
// appended after what dst holds.
func TestAppendLengthPrefixed(t *testing.T) {
	in := []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88, 0, 0, 0, 1, 0x41, 0x9a, 0}
	got := AppendLengthPrefixed([]byte{0xee}, in)
	require.Equal(t, []byte{0xee, 0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 2, 0x41, 0x9a}, got)
	require.Equal(t, AppendAVCFrame(nil, in, true, 0)[5:], got[1:])
	prefixed := []byte{0, 0, 0, 2, 0x41, 0x9a}
	require.Equal(t, prefixed, AppendLengthPrefixed(nil, prefixed), "length-prefixed input is copied")
	au := benchAU()
	dst := make([]byte, 0, len(au)*5/4)
	require.Zero(t, testing.AllocsPerRun(50, func() { dst = AppendLengthPrefixed(dst[:0], au) }))
}

func TestParseAVCFrameErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    []byte
		wantErr string
	}{
		{"short", []byte{0x17, 1, 0}, "too short"},
		{"not avc", []byte{0x12, 1, 0, 0, 0}, "codec id 2"},
		{"sequence header", []byte{0x17, 0, 0, 0, 0}, "packet type 0"},
		{"truncated length", []byte{0x27, 1, 0, 0, 0, 0, 0}, "truncated nalu length"},
		{"length overrun", []byte{0x27, 1, 0, 0, 0, 0, 0, 0, 9, 0x41}, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := ParseAVCFrame(tt.body)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestAppendAVCEndOfSequence(t *testing.T) {
	require.Equal(t, []byte{9, 0x17, 0x02, 0, 0, 0}, AppendAVCEndOfSequence([]byte{9}))
}

// benchAU is a realistic access unit: AUD, SEI and a 40 kB IDR slice.
func benchAU() []byte {
	au := []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x06, 0x05, 0x10}
	au = append(au, make([]byte, 16)...)
	au = append(au, 0x80, 0, 0, 1, 0x65)
	for i := range 40000 {
		au = append(au, byte(i%251)+1)
	}
	return au
}

func TestHotPathAllocs(t *testing.T) {
	au := benchAU()
	frame := make([]byte, 0, len(au)*5/4+5)
	tag := make([]byte, 0, cap(frame)+TagHeaderSize+4)
	allocs := testing.AllocsPerRun(100, func() {
		frame = AppendAVCFrame(frame[:0], au, true, 40)
		tag = AppendTag(tag[:0], TagVideo, 1<<25, frame)
	})
	require.Zero(t, allocs)

	raw := make([]byte, 400)
	allocs = testing.AllocsPerRun(100, func() {
		frame = AppendAACFrame(frame[:0], raw)
		tag = AppendTag(tag[:0], TagAudio, 1<<25, frame)
	})
	require.Zero(t, allocs)
}

func BenchmarkAppendAVCFrame(b *testing.B) {
	au := benchAU()
	dst := make([]byte, 0, len(au)*5/4+5)
	b.ReportAllocs()
	b.SetBytes(int64(len(au)))
	for b.Loop() {
		dst = AppendAVCFrame(dst[:0], au, true, 40)
	}
}
