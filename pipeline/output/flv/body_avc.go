package flv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// H.264 NAL unit types this package looks at.
const (
	naluTypeAUD = 9
	naluTypeSPS = 7
	naluTypePPS = 8
)

// Video tag body constants (codec id 7 is AVC).
const (
	videoKeyAVC   = 0x17 // frame type 1 (key frame), codec 7
	videoInterAVC = 0x27 // frame type 2 (inter frame), codec 7

	avcPacketSequenceHeader = 0
	avcPacketNALU           = 1
	avcPacketEndOfSequence  = 2
)

var startCode3 = []byte{0, 0, 1}

// nextNALU returns the NAL unit of the Annex B stream b that starts at or
// after offset from, and the offset at which to continue. ok is false when
// no start code remains. Trailing zero bytes (trailing_zero_8bits, or the
// first byte of a 4-byte start code) are not part of the returned unit.
func nextNALU(b []byte, from int) (nalu []byte, next int, ok bool) {
	if from >= len(b) {
		return nil, len(b), false
	}
	i := bytes.Index(b[from:], startCode3)
	if i < 0 {
		return nil, len(b), false
	}
	start := from + i + 3
	end := len(b)
	if j := bytes.Index(b[start:], startCode3); j >= 0 {
		end = start + j
	}
	next = end
	for end > start && b[end-1] == 0 {
		end--
	}
	return b[start:end], next, true
}

// hasStartCode reports whether b begins with an Annex B start code.
func hasStartCode(b []byte) bool {
	if len(b) >= 3 && b[0] == 0 && b[1] == 0 && b[2] == 1 {
		return true
	}
	return len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 1
}

// AVCDecoderConfig converts H.264 extradata to an
// AVCDecoderConfigurationRecord (avcC) with 4-byte NAL unit lengths.
//
// extradata may be Annex B (SPS and PPS behind start codes; other NAL units
// are ignored; every SPS and PPS found is kept, in order) or an existing avcC
// (first byte 1), which is checked with ParseAVCDecoderConfig and returned as
// is (the same slice). For profiles whose SPS carries chroma_format_idc (High and up) the
// ISO/IEC 14496-15 extension (chroma format, bit depths, no SPS extensions)
// is appended, as FFmpeg does. It returns an error if there is no SPS or no
// PPS.
func AVCDecoderConfig(extradata []byte) ([]byte, error) {
	if len(extradata) > 0 && extradata[0] == 1 {
		sps, pps, err := ParseAVCDecoderConfig(extradata)
		if err != nil {
			return nil, err
		}
		if len(sps) == 0 {
			return nil, errors.New("flv: avcC has no sps")
		}
		if len(pps) == 0 {
			return nil, errors.New("flv: avcC has no pps")
		}
		return extradata, nil
	}
	if !hasStartCode(extradata) {
		return nil, errors.New("flv: avc extradata is neither Annex B nor avcC")
	}
	var sps, pps [][]byte
	for pos := 0; ; {
		nalu, next, ok := nextNALU(extradata, pos)
		if !ok {
			break
		}
		pos = next
		if len(nalu) == 0 {
			continue
		}
		switch nalu[0] & 0x1f {
		case naluTypeSPS:
			if len(nalu) < 4 {
				return nil, fmt.Errorf("flv: sps too short (%d bytes)", len(nalu))
			}
			sps = append(sps, nalu)
		case naluTypePPS:
			pps = append(pps, nalu)
		}
	}
	if len(sps) == 0 {
		return nil, errors.New("flv: avc extradata has no sps")
	}
	if len(pps) == 0 {
		return nil, errors.New("flv: avc extradata has no pps")
	}
	if len(sps) > 31 {
		return nil, fmt.Errorf("flv: too many sps (%d, at most 31)", len(sps))
	}
	if len(pps) > 255 {
		return nil, fmt.Errorf("flv: too many pps (%d, at most 255)", len(pps))
	}

	size := 7
	for _, s := range sps {
		size += 2 + len(s)
	}
	for _, p := range pps {
		size += 2 + len(p)
	}
	out := make([]byte, 0, size+4)
	out = append(out,
		1,                   // configurationVersion
		sps[0][1],           // AVCProfileIndication
		sps[0][2],           // profile_compatibility
		sps[0][3],           // AVCLevelIndication
		0xfc|3,              // reserved, lengthSizeMinusOne = 3
		0xe0|byte(len(sps))) // reserved, numOfSequenceParameterSets
	for _, s := range sps {
		if len(s) > 0xffff {
			return nil, fmt.Errorf("flv: sps too long (%d bytes)", len(s))
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(s)))
		out = append(out, s...)
	}
	out = append(out, byte(len(pps)))
	for _, p := range pps {
		if len(p) > 0xffff {
			return nil, fmt.Errorf("flv: pps too long (%d bytes)", len(p))
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(p)))
		out = append(out, p...)
	}
	if chroma, lumaDepth, chromaDepth, ok := spsChromaInfo(sps[0]); ok {
		out = append(out,
			0xfc|chroma,
			0xf8|lumaDepth,
			0xf8|chromaDepth,
			0) // numOfSequenceParameterSetExt
	}
	return out, nil
}

// spsChromaInfo reads chroma_format_idc and the bit depths (minus 8) from an
// SPS NAL unit whose profile carries them. ok is false for other profiles or
// an SPS that cannot be read.
func spsChromaInfo(sps []byte) (chroma, lumaDepth, chromaDepth byte, ok bool) {
	if len(sps) < 5 {
		return 0, 0, 0, false
	}
	switch sps[1] {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
	default:
		return 0, 0, 0, false
	}
	r := bitReader{buf: sps[4:]}
	r.ue() // seq_parameter_set_id
	c := r.ue()
	if c == 3 {
		r.bit() // separate_colour_plane_flag
	}
	l := r.ue()
	cd := r.ue()
	if r.err || c > 3 || l > 7 || cd > 7 {
		return 0, 0, 0, false
	}
	return byte(c), byte(l), byte(cd), true
}

// bitReader reads RBSP bits, skipping emulation prevention bytes.
type bitReader struct {
	buf   []byte
	pos   int // byte position in buf
	bitN  int // bits already consumed from buf[pos]
	zeros int // consecutive zero bytes before pos
	err   bool
}

func (r *bitReader) bit() uint32 {
	if r.bitN == 0 {
		if r.pos >= len(r.buf) {
			r.err = true
			return 0
		}
		if r.zeros >= 2 && r.buf[r.pos] == 3 {
			r.pos++
			r.zeros = 0
			if r.pos >= len(r.buf) {
				r.err = true
				return 0
			}
		}
	}
	b := r.buf[r.pos]
	v := uint32(b>>(7-r.bitN)) & 1
	r.bitN++
	if r.bitN == 8 {
		r.bitN = 0
		r.pos++
		if b == 0 {
			r.zeros++
		} else {
			r.zeros = 0
		}
	}
	return v
}

// ue reads an unsigned Exp-Golomb code.
func (r *bitReader) ue() uint32 {
	n := 0
	for r.bit() == 0 {
		if r.err || n >= 31 {
			r.err = true
			return 0
		}
		n++
	}
	v := uint32(0)
	for range n {
		v = v<<1 | r.bit()
	}
	return v + (1<<n - 1)
}

// ParseAVCDecoderConfig returns the SPS and PPS NAL units of an
// AVCDecoderConfigurationRecord. The returned slices alias avcC. Bytes after
// the PPS list (the High profile extension) are ignored.
func ParseAVCDecoderConfig(avcC []byte) (sps, pps [][]byte, err error) {
	if len(avcC) < 6 {
		return nil, nil, fmt.Errorf("flv: avcC too short (%d bytes)", len(avcC))
	}
	if avcC[0] != 1 {
		return nil, nil, fmt.Errorf("flv: avcC version %d, want 1", avcC[0])
	}
	b := avcC[5:]
	n := int(b[0] & 0x1f)
	b = b[1:]
	for i := range n {
		var nalu []byte
		if nalu, b, err = readLen16(b); err != nil {
			return nil, nil, fmt.Errorf("flv: avcC sps %d: %w", i, err)
		}
		sps = append(sps, nalu)
	}
	if len(b) < 1 {
		return nil, nil, errors.New("flv: avcC has no pps count")
	}
	n = int(b[0])
	b = b[1:]
	for i := range n {
		var nalu []byte
		if nalu, b, err = readLen16(b); err != nil {
			return nil, nil, fmt.Errorf("flv: avcC pps %d: %w", i, err)
		}
		pps = append(pps, nalu)
	}
	return sps, pps, nil
}

func readLen16(b []byte) (v, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, errors.New("truncated length")
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b)-2 < n {
		return nil, nil, fmt.Errorf("length %d exceeds %d remaining bytes", n, len(b)-2)
	}
	return b[2 : 2+n], b[2+n:], nil
}

// AppendAVCSequenceHeader appends the video tag body of an AVC sequence
// header: 0x17, 0x00 (AVC sequence header), composition time 0, avcC.
func AppendAVCSequenceHeader(dst, avcC []byte) []byte {
	dst = append(dst, videoKeyAVC, avcPacketSequenceHeader, 0, 0, 0)
	return append(dst, avcC...)
}

// AppendAVCFrame appends the video tag body of one access unit: 0x17 for a
// key frame or 0x27 otherwise, 0x01 (AVC NALU), the 24-bit signed
// composition time ctsMs (pts − dts in milliseconds), then the access unit.
//
// An Annex B access unit (one that starts with a 3- or 4-byte start code) is
// converted to 4-byte length-prefixed NAL units, dropping access unit
// delimiters (type 9) and empty units. Any other input is taken to be
// length-prefixed already and copied as is. It does not allocate when dst has
// capacity for len(annexB)+5 more bytes plus one byte per NAL unit behind a
// 3-byte start code (len(annexB)*5/4+5 is always enough).
func AppendAVCFrame(dst []byte, annexB []byte, key bool, ctsMs int32) []byte {
	ft := byte(videoInterAVC)
	if key {
		ft = videoKeyAVC
	}
	c := uint32(ctsMs)
	dst = append(dst, ft, avcPacketNALU, byte(c>>16), byte(c>>8), byte(c))
	return AppendLengthPrefixed(dst, annexB)
}

// AppendLengthPrefixed appends an H.264 access unit as 4-byte
// length-prefixed NAL units (the form avcC describes, which FLV, Matroska
// and MP4 store): an Annex B unit is converted, dropping access unit
// delimiters and empty units; any other input is taken to be
// length-prefixed already and copied as is. It does not allocate when dst
// has room for len(annexB)*5/4 more bytes.
func AppendLengthPrefixed(dst, annexB []byte) []byte {
	if !hasStartCode(annexB) {
		return append(dst, annexB...)
	}
	for pos := 0; ; {
		nalu, next, ok := nextNALU(annexB, pos)
		if !ok {
			break
		}
		pos = next
		if len(nalu) == 0 || nalu[0]&0x1f == naluTypeAUD {
			continue
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nalu)))
		dst = append(dst, nalu...)
	}
	return dst
}

// AppendAVCEndOfSequence appends the video tag body of an AVC end of
// sequence: 0x17, 0x02, composition time 0.
func AppendAVCEndOfSequence(dst []byte) []byte {
	return append(dst, videoKeyAVC, avcPacketEndOfSequence, 0, 0, 0)
}

// ParseAVCFrame parses the video tag body of an AVC NALU packet (as written
// by AppendAVCFrame) into the key frame flag, the composition time and the
// NAL units, which alias body.
func ParseAVCFrame(body []byte) (key bool, ctsMs int32, nalus [][]byte, err error) {
	if len(body) < 5 {
		return false, 0, nil, fmt.Errorf("flv: avc video body too short (%d bytes)", len(body))
	}
	if body[0]&0x0f != 7 {
		return false, 0, nil, fmt.Errorf("flv: video codec id %d, want 7 (avc)", body[0]&0x0f)
	}
	switch body[0] >> 4 {
	case 1:
		key = true
	case 2, 3:
	default:
		return false, 0, nil, fmt.Errorf("flv: unexpected video frame type %d", body[0]>>4)
	}
	if body[1] != avcPacketNALU {
		return false, 0, nil, fmt.Errorf("flv: avc packet type %d, want 1 (nalu)", body[1])
	}
	ctsMs = int32(uint32(body[2])<<24|uint32(body[3])<<16|uint32(body[4])<<8) >> 8
	b := body[5:]
	for len(b) > 0 {
		if len(b) < 4 {
			return false, 0, nil, fmt.Errorf("flv: truncated nalu length at body offset %d", len(body)-len(b))
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return false, 0, nil, fmt.Errorf("flv: nalu length %d at body offset %d exceeds %d remaining bytes", n, len(body)-len(b), len(b)-4)
		}
		nalus = append(nalus, b[4:4+n])
		b = b[4+n:]
	}
	return key, ctsMs, nalus, nil
}
