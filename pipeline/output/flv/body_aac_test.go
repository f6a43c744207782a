package flv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAudioSpecificConfig(t *testing.T) {
	tests := []struct {
		rate, channels int
		want           []byte
		wantErr        string
	}{
		{rate: 48000, channels: 2, want: []byte{0x11, 0x90}},
		{rate: 44100, channels: 1, want: []byte{0x12, 0x08}},
		{rate: 44100, channels: 2, want: []byte{0x12, 0x10}},
		{rate: 96000, channels: 6, want: []byte{0x10, 0x30}},
		{rate: 8000, channels: 8, want: []byte{0x15, 0xb8}},
		{rate: 44000, channels: 2, wantErr: "sample rate 44000"},
		{rate: 48000, channels: 0, wantErr: "channel count 0"},
		{rate: 48000, channels: 7, wantErr: "channel count 7"},
	}
	for _, tt := range tests {
		got, err := AudioSpecificConfig(tt.rate, tt.channels)
		if tt.wantErr != "" {
			require.ErrorContains(t, err, tt.wantErr)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "%d Hz %d ch", tt.rate, tt.channels)
	}
}

func TestAACBodies(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"sequence header", AppendAACSequenceHeader(nil, []byte{0x11, 0x90}), []byte{0xaf, 0x00, 0x11, 0x90}},
		{"raw frame", AppendAACFrame(nil, []byte{0x21, 0x10, 0x05}), []byte{0xaf, 0x01, 0x21, 0x10, 0x05}},
		{"appends", AppendAACFrame([]byte{1}, nil), []byte{1, 0xaf, 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got)
		})
	}
}
