package output

import (
	"fmt"
	"time"

	"studio/pipeline/media"
	"studio/pipeline/output/flv"
)

// headerBodies are the tag bodies every FLV stream starts with; avcSeq is
// nil for an audio-only stream.
type headerBodies struct {
	metadata, avcSeq, aacSeq []byte
}

// audioOnly says whether h describes a stream without video: no H.264
// configuration and no picture size (a mix-minus return feed). A header
// with a size but no configuration is a video stream missing its
// configuration, which makeHeaderBodies refuses.
func audioOnly(h media.StreamHeader) bool {
	return len(h.AVCConfig) == 0 && h.Width == 0 && h.Height == 0
}

func makeHeaderBodies(h media.StreamHeader) (headerBodies, error) {
	var hb headerBodies
	video := !audioOnly(h)
	if video {
		if len(h.AVCConfig) == 0 {
			return headerBodies{}, fmt.Errorf("H.264 sequence header: no H.264 configuration for a %dx%d video stream", h.Width, h.Height)
		}
		avcC, err := flv.AVCDecoderConfig(h.AVCConfig)
		if err != nil {
			return headerBodies{}, fmt.Errorf("H.264 sequence header: %w", err)
		}
		hb.avcSeq = flv.AppendAVCSequenceHeader(nil, avcC)
	}
	asc := h.AudioConfig
	if len(asc) == 0 {
		var err error
		if asc, err = flv.AudioSpecificConfig(h.AudioSampleRate, h.AudioChannels); err != nil {
			return headerBodies{}, fmt.Errorf("AAC sequence header: %w", err)
		}
	}
	m := flv.Metadata{
		AudioDataRateKbps: h.AudioBitrateKbps,
		AudioSampleRate:   h.AudioSampleRate, AudioChannels: h.AudioChannels, Encoder: h.Encoder,
	}
	if video { // without video, flv.AppendMetadata leaves the video fields out
		m.Width, m.Height, m.FrameRate, m.VideoDataRateKbps = h.Width, h.Height, h.FrameRate, h.VideoBitrateKbps
	}
	hb.metadata = flv.AppendMetadata(nil, m)
	hb.aacSeq = flv.AppendAACSequenceHeader(nil, asc)
	return hb, nil
}

// tagger turns packets into FLV tag bodies in one reused buffer.
type tagger struct {
	buf []byte
	// shift is subtracted from every timestamp, so that an output that
	// joins a running program starts near zero.
	shift time.Duration
}

func (t *tagger) setShift(d time.Duration) { t.shift = d }

// shifter is a sink whose timestamps can be moved to start near zero; both
// sinks are, through their tagger.
type shifter interface{ setShift(time.Duration) }

var (
	_ shifter = (*RTMP)(nil)
	_ shifter = (*Recorder)(nil)
)

// body returns the tag type, timestamp (DTS, ms) and body of p; the body is
// valid until the next call.
func (t *tagger) body(p *media.Packet) (byte, uint32, []byte) {
	dts := roundMs(p.DTS - t.shift)
	ts := uint32(max(dts, 0))
	if p.Kind == media.Audio {
		t.buf = flv.AppendAACFrame(t.buf[:0], p.Data)
		return flv.TagAudio, ts, t.buf
	}
	cts := int32(roundMs(p.PTS-t.shift) - dts)
	if need := len(p.Data)*5/4 + 16; cap(t.buf) < need {
		t.buf = make([]byte, 0, need*2)
	}
	t.buf = flv.AppendAVCFrame(t.buf[:0], p.Data, p.Key, cts)
	return flv.TagVideo, ts, t.buf
}

// roundMs is d in whole milliseconds, to the nearest: frame times are
// thirds of milliseconds in nanoseconds cut short (1/30 s is 33333333 ns),
// and cutting them again to ms puts some frames a millisecond early, so
// that a player reading the FLV at the stream's rate sees two frames on one
// tick. Decode and presentation times are rounded alike, so CTS stays exact.
func roundMs(d time.Duration) int64 {
	return int64((d + time.Millisecond/2).Truncate(time.Millisecond) / time.Millisecond)
}

func (r *RTMP) setShift(d time.Duration)     { r.tags.setShift(d) }
func (r *Recorder) setShift(d time.Duration) { r.tags.setShift(d) }
