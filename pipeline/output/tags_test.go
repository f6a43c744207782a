package output

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"studio/pipeline/media"
)

func TestMakeHeaderBodies(t *testing.T) {
	h, pkts := encodedStream(t, 1)
	releaseAll(pkts)
	audioOnlyHeader := media.StreamHeader{AudioConfig: h.AudioConfig, AudioBitrateKbps: 96,
		AudioSampleRate: 48000, AudioChannels: 2, Encoder: "studio-test"}
	videoKeys := []string{"width", "height", "framerate", "videocodecid", "videodatarate"}
	audioKeys := []string{"audiocodecid", "audiosamplerate", "audiodatarate", "stereo"}
	for _, tc := range []struct {
		name    string
		h       media.StreamHeader
		video   bool
		wantErr string
	}{
		{"audio and video", h, true, ""},
		{"audio only", audioOnlyHeader, false, ""},
		{"audio only, AAC config from the rate", func() media.StreamHeader {
			a := audioOnlyHeader
			a.AudioConfig = nil
			return a
		}(), false, ""},
		{"a size but no H.264 config", func() media.StreamHeader {
			v := h
			v.AVCConfig = nil
			return v
		}(), false, "H.264 sequence header: no H.264 configuration for a 320x240 video stream"},
		{"malformed H.264 config", func() media.StreamHeader {
			v := h
			v.AVCConfig = []byte{0, 0, 0, 1, 0x09, 0xf0}
			return v
		}(), false, "H.264 sequence header"},
		{"malformed H.264 config, no size", func() media.StreamHeader {
			v := audioOnlyHeader
			v.AVCConfig = []byte{1, 2, 3}
			return v
		}(), false, "H.264 sequence header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hb, err := makeHeaderBodies(tc.h)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.video, hb.avcSeq != nil, "AVC sequence header")
			require.Equal(t, []byte{0xaf, 0, 0x11, 0x90}, hb.aacSeq[:4])
			for _, k := range videoKeys {
				require.Equal(t, tc.video, bytes.Contains(hb.metadata, []byte(k)), "onMetaData %s", k)
			}
			for _, k := range audioKeys {
				require.True(t, bytes.Contains(hb.metadata, []byte(k)), "onMetaData %s", k)
			}
		})
	}
}
