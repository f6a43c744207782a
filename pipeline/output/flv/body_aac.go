package flv

import "fmt"

// Audio tag body constants. Legacy FLV AAC tags always declare 44.1 kHz,
// 16-bit, stereo (0xAF); the AudioSpecificConfig carries the real format.
const (
	audioAAC = 0xaf // sound format 10 (AAC), 44 kHz, 16-bit, stereo

	aacPacketSequenceHeader = 0
	aacPacketRaw            = 1

	aacObjectTypeLC = 2
)

// aacSampleRates is the MPEG-4 sampling frequency index table.
var aacSampleRates = [...]int{
	96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
}

// AppendAACSequenceHeader appends the audio tag body of an AAC sequence
// header: 0xAF, 0x00, then the AudioSpecificConfig asc.
func AppendAACSequenceHeader(dst, asc []byte) []byte {
	dst = append(dst, audioAAC, aacPacketSequenceHeader)
	return append(dst, asc...)
}

// AppendAACFrame appends the audio tag body of one raw AAC frame: 0xAF,
// 0x01, then raw (no ADTS header). It does not allocate when dst has
// capacity for len(raw)+2 more bytes.
func AppendAACFrame(dst, raw []byte) []byte {
	dst = append(dst, audioAAC, aacPacketRaw)
	return append(dst, raw...)
}

// AudioSpecificConfig builds the 2-byte AudioSpecificConfig of AAC-LC
// (object type 2) for sampleRate, which must be one of the MPEG-4 standard
// rates (96000 … 7350 Hz), and channels, 1 to 6 or 8 (channel
// configurations 1 to 7). Use it when the encoder gives no extradata.
func AudioSpecificConfig(sampleRate, channels int) ([]byte, error) {
	idx := -1
	for i, r := range aacSampleRates {
		if r == sampleRate {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("flv: aac sample rate %d Hz has no sampling frequency index", sampleRate)
	}
	var cfg int
	switch {
	case channels >= 1 && channels <= 6:
		cfg = channels
	case channels == 8:
		cfg = 7
	default:
		return nil, fmt.Errorf("flv: aac channel count %d has no channel configuration (want 1-6 or 8)", channels)
	}
	// 5 bits object type, 4 bits frequency index, 4 bits channel
	// configuration, 3 bits GASpecificConfig (all zero).
	v := aacObjectTypeLC<<11 | idx<<7 | cfg<<3
	return []byte{byte(v >> 8), byte(v)}, nil
}
