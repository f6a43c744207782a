package flv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFileHeader(t *testing.T) {
	tests := []struct {
		name         string
		audio, video bool
		want         []byte
	}{
		{"audio+video", true, true, []byte{'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0}},
		{"video only", false, true, []byte{'F', 'L', 'V', 1, 0x01, 0, 0, 0, 9, 0, 0, 0, 0}},
		{"audio only", true, false, []byte{'F', 'L', 'V', 1, 0x04, 0, 0, 0, 9, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, FileHeader(tt.audio, tt.video))
		})
	}
}

func TestAppendTag(t *testing.T) {
	tests := []struct {
		name   string
		prefix []byte
		typ    byte
		ts     uint32
		body   []byte
		want   []byte
	}{
		{
			name: "extended timestamp",
			typ:  TagVideo,
			ts:   0x12345678, // above 2^24 ms
			body: []byte{0xaa, 0xbb, 0xcc},
			want: []byte{
				9, 0, 0, 3, 0x34, 0x56, 0x78, 0x12, 0, 0, 0,
				0xaa, 0xbb, 0xcc,
				0, 0, 0, 14,
			},
		},
		{
			name: "small timestamp audio",
			typ:  TagAudio,
			ts:   1000,
			body: []byte{0xaf, 0x01},
			want: []byte{
				8, 0, 0, 2, 0, 0x03, 0xe8, 0, 0, 0, 0,
				0xaf, 0x01,
				0, 0, 0, 13,
			},
		},
		{
			name:   "appends after existing data, empty body",
			prefix: []byte{0xde, 0xad},
			typ:    TagScript,
			ts:     1 << 24,
			want: []byte{
				0xde, 0xad,
				18, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
				0, 0, 0, 11,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, AppendTag(tt.prefix, tt.typ, tt.ts, tt.body))
		})
	}
}

func TestAppendTagTooLargePanics(t *testing.T) {
	require.Panics(t, func() { AppendTag(nil, TagVideo, 0, make([]byte, MaxTagBodySize+1)) })
}
