package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Tag is one parsed FLV tag.
type Tag struct {
	// Type is the tag type (TagAudio, TagVideo, TagScript, …).
	Type byte
	// TimestampMs is the 32-bit timestamp, extended byte included.
	TimestampMs uint32
	// Body is the tag body; each Tag gets its own slice.
	Body []byte
}

// readChunk bounds how much the Reader allocates ahead of the data actually
// read, so a corrupt size field cannot make it allocate 16 MiB up front.
const readChunk = 64 << 10

// Reader parses an FLV stream tag by tag. It is meant for tests, tools and
// fuzzing, not for the hot path: every tag body is freshly allocated.
type Reader struct {
	r        io.Reader
	offset   int64 // bytes consumed so far
	hasAudio bool
	hasVideo bool
	hdr      [TagHeaderSize]byte
	err      error
}

// NewReader reads and checks the FLV header and PreviousTagSize0 from r.
func NewReader(r io.Reader) (*Reader, error) {
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("flv: read header: %w", eofToUnexpected(err))
	}
	if h[0] != 'F' || h[1] != 'L' || h[2] != 'V' {
		return nil, errors.New("flv: bad signature, not an FLV stream")
	}
	if h[3] != 1 {
		return nil, fmt.Errorf("flv: unsupported version %d", h[3])
	}
	dataOffset := binary.BigEndian.Uint32(h[5:])
	if dataOffset < HeaderSize {
		return nil, fmt.Errorf("flv: data offset %d smaller than the header", dataOffset)
	}
	fr := &Reader{
		r:        r,
		offset:   HeaderSize,
		hasAudio: h[4]&flagAudio != 0,
		hasVideo: h[4]&flagVideo != 0,
	}
	if skip := int64(dataOffset) - HeaderSize; skip > 0 {
		n, err := io.CopyN(io.Discard, r, skip)
		fr.offset += n
		if err != nil {
			return nil, fmt.Errorf("flv: skip header extension: %w", eofToUnexpected(err))
		}
	}
	var pts [4]byte
	if _, err := io.ReadFull(r, pts[:]); err != nil {
		return nil, fmt.Errorf("flv: read PreviousTagSize0: %w", eofToUnexpected(err))
	}
	if v := binary.BigEndian.Uint32(pts[:]); v != 0 {
		return nil, fmt.Errorf("flv: PreviousTagSize0 at offset %d is %d, want 0", fr.offset, v)
	}
	fr.offset += 4
	return fr, nil
}

// HasAudio reports the header's audio flag.
func (fr *Reader) HasAudio() bool { return fr.hasAudio }

// HasVideo reports the header's video flag.
func (fr *Reader) HasVideo() bool { return fr.hasVideo }

// Offset returns the number of bytes consumed from the stream so far.
func (fr *Reader) Offset() int64 { return fr.offset }

// Next returns the next tag. It returns io.EOF at a clean end (after a
// complete tag and its PreviousTagSize), io.ErrUnexpectedEOF when the last
// tag is truncated, and an error naming the offset when a PreviousTagSize
// does not match its tag. Once it has returned an error it keeps returning
// that error.
func (fr *Reader) Next() (Tag, error) {
	if fr.err != nil {
		return Tag{}, fr.err
	}
	t, err := fr.next()
	if err != nil {
		fr.err = err
	}
	return t, err
}

func (fr *Reader) next() (Tag, error) {
	start := fr.offset
	n, err := io.ReadFull(fr.r, fr.hdr[:])
	fr.offset += int64(n)
	if err != nil {
		if err == io.EOF {
			return Tag{}, io.EOF
		}
		return Tag{}, err
	}
	h := fr.hdr[:]
	size := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	t := Tag{
		Type:        h[0],
		TimestampMs: uint32(h[7])<<24 | uint32(h[4])<<16 | uint32(h[5])<<8 | uint32(h[6]),
	}

	// Read the body in bounded chunks.
	body := make([]byte, 0, min(size, readChunk))
	for len(body) < size {
		want := min(size-len(body), readChunk)
		body = slices.Grow(body, want)
		n, err := io.ReadFull(fr.r, body[len(body):len(body)+want])
		body = body[:len(body)+n]
		fr.offset += int64(n)
		if err != nil {
			return Tag{}, eofToUnexpected(err)
		}
	}
	t.Body = body

	var pts [4]byte
	n, err = io.ReadFull(fr.r, pts[:])
	fr.offset += int64(n)
	if err != nil {
		return Tag{}, eofToUnexpected(err)
	}
	if got, want := binary.BigEndian.Uint32(pts[:]), uint32(TagHeaderSize+size); got != want {
		return Tag{}, fmt.Errorf("flv: PreviousTagSize at offset %d is %d, want %d (tag at offset %d)",
			fr.offset-4, got, want, start)
	}
	return t, nil
}

func eofToUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
