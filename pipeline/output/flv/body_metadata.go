package flv

import (
	"encoding/binary"
	"math"
)

// Codec ids written into onMetaData.
const (
	// VideoCodecAVC is the FLV video codec id of H.264.
	VideoCodecAVC = 7
	// AudioCodecAAC is the FLV sound format of AAC.
	AudioCodecAAC = 10
)

// AMF0 type markers used by AppendMetadata.
const (
	amf0Number    = 0x00
	amf0Boolean   = 0x01
	amf0String    = 0x02
	amf0ECMAArray = 0x08
	amf0ObjectEnd = 0x09
)

// Metadata is what goes into the onMetaData script tag.
type Metadata struct {
	// Width and Height are the video size in pixels.
	Width, Height int
	// FrameRate is the video frame rate in frames per second.
	FrameRate float64
	// VideoDataRateKbps is the video bitrate in kbit/s.
	VideoDataRateKbps float64
	// AudioDataRateKbps is the audio bitrate in kbit/s.
	AudioDataRateKbps float64
	// AudioSampleRate is the audio sample rate in Hz.
	AudioSampleRate int
	// AudioChannels is the number of audio channels; stereo is written as
	// AudioChannels == 2.
	AudioChannels int
	// Encoder names the writing software, e.g. "studio 0.1.0".
	Encoder string
	// Duration is the duration in seconds, 0 for live.
	Duration float64
}

func (m Metadata) hasVideo() bool {
	return m.Width != 0 || m.Height != 0 || m.FrameRate != 0 || m.VideoDataRateKbps != 0
}

func (m Metadata) hasAudio() bool {
	return m.AudioSampleRate != 0 || m.AudioChannels != 0 || m.AudioDataRateKbps != 0
}

// AppendMetadata appends a script tag body: the AMF0 string "onMetaData",
// then an AMF0 ECMA array with, in this order, duration, width, height,
// videodatarate, framerate, videocodecid (7), audiodatarate,
// audiosamplerate, audiosamplesize (16), stereo, audiocodecid (10), encoder
// and filesize (0). The video fields are left out when all of Width, Height,
// FrameRate and VideoDataRateKbps are zero, and the audio fields when all of
// AudioSampleRate, AudioChannels and AudioDataRateKbps are zero, as FFmpeg
// does for a missing stream. Encoder is cut to 65535 bytes.
func AppendMetadata(dst []byte, m Metadata) []byte {
	video, audio := m.hasVideo(), m.hasAudio()
	count := uint32(3) // duration, encoder, filesize
	if video {
		count += 5
	}
	if audio {
		count += 5
	}

	dst = appendAMFString(dst, "onMetaData")
	dst = append(dst, amf0ECMAArray)
	dst = binary.BigEndian.AppendUint32(dst, count)
	dst = appendAMFNumberProp(dst, "duration", m.Duration)
	if video {
		dst = appendAMFNumberProp(dst, "width", float64(m.Width))
		dst = appendAMFNumberProp(dst, "height", float64(m.Height))
		dst = appendAMFNumberProp(dst, "videodatarate", m.VideoDataRateKbps)
		dst = appendAMFNumberProp(dst, "framerate", m.FrameRate)
		dst = appendAMFNumberProp(dst, "videocodecid", VideoCodecAVC)
	}
	if audio {
		dst = appendAMFNumberProp(dst, "audiodatarate", m.AudioDataRateKbps)
		dst = appendAMFNumberProp(dst, "audiosamplerate", float64(m.AudioSampleRate))
		dst = appendAMFNumberProp(dst, "audiosamplesize", 16)
		dst = appendAMFKey(dst, "stereo")
		stereo := byte(0)
		if m.AudioChannels == 2 {
			stereo = 1
		}
		dst = append(dst, amf0Boolean, stereo)
		dst = appendAMFNumberProp(dst, "audiocodecid", AudioCodecAAC)
	}
	dst = appendAMFKey(dst, "encoder")
	dst = appendAMFString(dst, m.Encoder)
	dst = appendAMFNumberProp(dst, "filesize", 0)
	return append(dst, 0, 0, amf0ObjectEnd)
}

// appendAMFKey appends an object/ECMA array property name (no marker).
func appendAMFKey(dst []byte, key string) []byte {
	if len(key) > math.MaxUint16 {
		key = key[:math.MaxUint16]
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(key)))
	return append(dst, key...)
}

// appendAMFString appends an AMF0 string value.
func appendAMFString(dst []byte, s string) []byte {
	return appendAMFKey(append(dst, amf0String), s)
}

// appendAMFNumberProp appends a property whose value is an AMF0 number.
func appendAMFNumberProp(dst []byte, key string, v float64) []byte {
	dst = appendAMFKey(dst, key)
	dst = append(dst, amf0Number)
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
}
