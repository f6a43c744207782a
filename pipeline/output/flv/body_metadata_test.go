package flv

import (
	"testing"

	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/stretchr/testify/require"
)

func TestAppendMetadata(t *testing.T) {
	tests := []struct {
		name string
		m    Metadata
		want amf0.ECMAArray
	}{
		{
			name: "audio and video",
			m: Metadata{
				Width: 1280, Height: 720, FrameRate: 30, VideoDataRateKbps: 2500,
				AudioDataRateKbps: 160, AudioSampleRate: 48000, AudioChannels: 2,
				Encoder: "studio 0.1.0",
			},
			want: amf0.ECMAArray{
				{Key: "duration", Value: float64(0)},
				{Key: "width", Value: float64(1280)},
				{Key: "height", Value: float64(720)},
				{Key: "videodatarate", Value: float64(2500)},
				{Key: "framerate", Value: float64(30)},
				{Key: "videocodecid", Value: float64(7)},
				{Key: "audiodatarate", Value: float64(160)},
				{Key: "audiosamplerate", Value: float64(48000)},
				{Key: "audiosamplesize", Value: float64(16)},
				{Key: "stereo", Value: true},
				{Key: "audiocodecid", Value: float64(10)},
				{Key: "encoder", Value: "studio 0.1.0"},
				{Key: "filesize", Value: float64(0)},
			},
		},
		{
			name: "mono recording with duration",
			m: Metadata{
				Width: 1920, Height: 1080, FrameRate: 29.97, VideoDataRateKbps: 4500,
				AudioDataRateKbps: 96, AudioSampleRate: 44100, AudioChannels: 1,
				Encoder: "studio", Duration: 12.5,
			},
			want: amf0.ECMAArray{
				{Key: "duration", Value: 12.5},
				{Key: "width", Value: float64(1920)},
				{Key: "height", Value: float64(1080)},
				{Key: "videodatarate", Value: float64(4500)},
				{Key: "framerate", Value: 29.97},
				{Key: "videocodecid", Value: float64(7)},
				{Key: "audiodatarate", Value: float64(96)},
				{Key: "audiosamplerate", Value: float64(44100)},
				{Key: "audiosamplesize", Value: float64(16)},
				{Key: "stereo", Value: false},
				{Key: "audiocodecid", Value: float64(10)},
				{Key: "encoder", Value: "studio"},
				{Key: "filesize", Value: float64(0)},
			},
		},
		{
			name: "video only",
			m:    Metadata{Width: 640, Height: 360, FrameRate: 25, VideoDataRateKbps: 800},
			want: amf0.ECMAArray{
				{Key: "duration", Value: float64(0)},
				{Key: "width", Value: float64(640)},
				{Key: "height", Value: float64(360)},
				{Key: "videodatarate", Value: float64(800)},
				{Key: "framerate", Value: float64(25)},
				{Key: "videocodecid", Value: float64(7)},
				{Key: "encoder", Value: ""},
				{Key: "filesize", Value: float64(0)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := AppendMetadata(nil, tt.m)
			data, err := amf0.Unmarshal(body)
			require.NoError(t, err)
			require.Equal(t, amf0.Data{"onMetaData", tt.want}, data)

			// The ECMA array count matches the entries written.
			require.Equal(t, byte(0x08), body[13])
			n := int(body[14])<<24 | int(body[15])<<16 | int(body[16])<<8 | int(body[17])
			require.Equal(t, len(tt.want), n)
		})
	}
}

func TestAppendMetadataAllocs(t *testing.T) {
	m := Metadata{Width: 1280, Height: 720, FrameRate: 30, AudioSampleRate: 48000, AudioChannels: 2, Encoder: "studio 0.1.0"}
	dst := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(50, func() { dst = AppendMetadata(dst[:0], m) })
	require.Zero(t, allocs)
}
