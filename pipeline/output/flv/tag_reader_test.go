package flv

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// sampleTags is a short stream as the publisher writes it.
func sampleTags(t testing.TB) []Tag {
	avcC, err := AVCDecoderConfig(x264Extradata)
	require.NoError(t, err)
	return []Tag{
		{Type: TagScript, TimestampMs: 0, Body: AppendMetadata(nil, Metadata{Width: 1280, Height: 720, FrameRate: 30, AudioSampleRate: 48000, AudioChannels: 2, Encoder: "studio 0.1.0"})},
		{Type: TagVideo, TimestampMs: 0, Body: AppendAVCSequenceHeader(nil, avcC)},
		{Type: TagAudio, TimestampMs: 0, Body: AppendAACSequenceHeader(nil, []byte{0x11, 0x90})},
		{Type: TagVideo, TimestampMs: 0, Body: AppendAVCFrame(nil, []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21}, true, 66)},
		{Type: TagAudio, TimestampMs: 21, Body: AppendAACFrame(nil, []byte{0x21, 0x10, 0x05})},
		{Type: TagVideo, TimestampMs: 1<<24 + 33, Body: AppendAVCFrame(nil, []byte{0, 0, 1, 0x41, 0x9a, 0x01}, false, -33)},
		{Type: TagVideo, TimestampMs: 1<<24 + 66, Body: AppendAVCEndOfSequence(nil)},
	}
}

func writeFLV(tags []Tag) []byte {
	out := FileHeader(true, true)
	for _, tg := range tags {
		out = AppendTag(out, tg.Type, tg.TimestampMs, tg.Body)
	}
	return out
}

func readAll(r io.Reader) ([]Tag, error) {
	fr, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	var tags []Tag
	for {
		tg, err := fr.Next()
		if err != nil {
			return tags, err
		}
		tags = append(tags, tg)
	}
}

func TestReaderRoundTrip(t *testing.T) {
	tags := sampleTags(t)
	var buf bytes.Buffer
	buf.Write(writeFLV(tags))

	fr, err := NewReader(&buf)
	require.NoError(t, err)
	require.True(t, fr.HasAudio())
	require.True(t, fr.HasVideo())
	var got []Tag
	for {
		tg, err := fr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, tg)
	}
	require.Equal(t, tags, got)
	_, err = fr.Next()
	require.ErrorIs(t, err, io.EOF, "EOF is sticky")

	key, cts, nalus, err := ParseAVCFrame(got[5].Body)
	require.NoError(t, err)
	require.False(t, key)
	require.Equal(t, int32(-33), cts)
	require.Equal(t, [][]byte{{0x41, 0x9a, 0x01}}, nalus)
}

func TestReaderErrors(t *testing.T) {
	valid := writeFLV(sampleTags(t))
	badPrev := bytes.Clone(valid)
	badPrev[len(badPrev)-1]++
	badPTS0 := bytes.Clone(valid)
	badPTS0[12] = 1

	tests := []struct {
		name      string
		in        []byte
		wantTags  int
		wantErrIs error
		wantErr   string
	}{
		{name: "header only", in: FileHeader(false, true), wantErrIs: io.EOF},
		{name: "truncated last tag body", in: valid[:len(valid)-6], wantTags: 6, wantErrIs: io.ErrUnexpectedEOF},
		{name: "truncated previous tag size", in: valid[:len(valid)-2], wantTags: 6, wantErrIs: io.ErrUnexpectedEOF},
		{name: "truncated tag header", in: valid[:len(valid)-20+3], wantTags: 6, wantErrIs: io.ErrUnexpectedEOF},
		{name: "truncated file header", in: valid[:5], wantErrIs: io.ErrUnexpectedEOF},
		{name: "bad previous tag size", in: badPrev, wantTags: 6, wantErr: "PreviousTagSize at offset"},
		{name: "bad PreviousTagSize0", in: badPTS0, wantErr: "PreviousTagSize0"},
		{name: "not flv", in: []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00"), wantErr: "signature"},
		{name: "bad version", in: []byte{'F', 'L', 'V', 2, 5, 0, 0, 0, 9, 0, 0, 0, 0}, wantErr: "version"},
		{name: "bad data offset", in: []byte{'F', 'L', 'V', 1, 5, 0, 0, 0, 8, 0, 0, 0, 0}, wantErr: "data offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tags, err := readAll(bytes.NewReader(tt.in))
			require.Len(t, tags, tt.wantTags)
			if tt.wantErrIs != nil {
				require.ErrorIs(t, err, tt.wantErrIs)
				if tt.wantErrIs == io.ErrUnexpectedEOF {
					require.False(t, errors.Is(err, io.EOF))
				}
			} else {
				require.ErrorContains(t, err, tt.wantErr)
			}
		})
	}
}

func TestReaderHeaderExtension(t *testing.T) {
	in := []byte{'F', 'L', 'V', 1, 1, 0, 0, 0, 12, 0xee, 0xee, 0xee, 0, 0, 0, 0}
	in = AppendTag(in, TagVideo, 7, []byte{0x17, 2, 0, 0, 0})
	tags, err := readAll(bytes.NewReader(in))
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, []Tag{{Type: TagVideo, TimestampMs: 7, Body: []byte{0x17, 2, 0, 0, 0}}}, tags)
}
