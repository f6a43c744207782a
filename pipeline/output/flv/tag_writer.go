package flv

import "encoding/binary"

// Tag types, as found in the first byte of an FLV tag header.
const (
	// TagAudio is the tag type of an audio tag.
	TagAudio byte = 8
	// TagVideo is the tag type of a video tag.
	TagVideo byte = 9
	// TagScript is the tag type of a script data tag (e.g. onMetaData).
	TagScript byte = 18
)

const (
	// HeaderSize is the size of the FLV file header, without PreviousTagSize0.
	HeaderSize = 9
	// TagHeaderSize is the size of an FLV tag header.
	TagHeaderSize = 11
	// MaxTagBodySize is the largest body a tag can carry (24-bit size field).
	MaxTagBodySize = 1<<24 - 1
)

const (
	flagAudio = 0x04
	flagVideo = 0x01
)

// FileHeader returns the 9-byte FLV header plus the 4-byte PreviousTagSize0
// (13 bytes in all). hasAudio and hasVideo set the type flags.
func FileHeader(hasAudio, hasVideo bool) []byte {
	var flags byte
	if hasAudio {
		flags |= flagAudio
	}
	if hasVideo {
		flags |= flagVideo
	}
	return []byte{'F', 'L', 'V', 1, flags, 0, 0, 0, HeaderSize, 0, 0, 0, 0}
}

// AppendTag appends one complete tag to dst: the 11-byte header (type, 24-bit
// body size, lower 24 bits of timestampMs, upper 8 bits as the extended
// timestamp, stream id 0), body, and the 4-byte PreviousTagSize (11 +
// len(body)). It does not allocate when dst has capacity for
// len(body)+15 more bytes. It panics if body is longer than MaxTagBodySize,
// which the FLV format cannot express.
func AppendTag(dst []byte, tagType byte, timestampMs uint32, body []byte) []byte {
	size := len(body)
	if size > MaxTagBodySize {
		panic("flv: tag body larger than 16 MiB")
	}
	dst = append(dst,
		tagType,
		byte(size>>16), byte(size>>8), byte(size),
		byte(timestampMs>>16), byte(timestampMs>>8), byte(timestampMs), byte(timestampMs>>24),
		0, 0, 0)
	dst = append(dst, body...)
	return binary.BigEndian.AppendUint32(dst, uint32(TagHeaderSize+size))
}
