// Package encode owns the encoders: libx264 for video and FFmpeg's AAC-LC
// for audio, configured for live streaming (CBR with nal-hrd, fixed GOP, no
// scene-cut keyframes) and turning raw frames into pooled media packets.
package encode

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
	"studio/pipeline/media"
)

// StartOffset is added to every packet timestamp. AAC priming makes the first
// audio packet start 1024 samples before zero and B-frames make the first
// video DTS negative; FLV timestamps are unsigned and FLV readers reject a DTS
// below the first one, so the whole program is shifted by this much.
const StartOffset = 100 * time.Millisecond

// VideoConfig configures the H.264 encoder.
type VideoConfig struct {
	Width, Height int
	FrameRate     astiav.Rational
	BitrateBps    int64
	KeyintS       float64
	Preset        string // x264 preset, e.g. veryfast
	Tune          string // "" or an x264 tune, e.g. zerolatency
	Profile       string // baseline, main or high
	// Adaptive keeps the bitrate changeable while encoding (SetBitrate).
	// x264 refuses to change its VBV while NAL HRD signalling is on, so
	// the constant rate is then kept with filler data instead of nal-hrd.
	Adaptive bool
}

// AudioConfig configures the AAC encoder.
type AudioConfig struct {
	SampleRate int
	Channels   int
	BitrateBps int64
}

// Encoder wraps one FFmpeg encoder. It is not safe for concurrent use.
type Encoder struct {
	kind media.Kind
	cc   *astiav.CodecContext
	pkt  *astiav.Packet
	tb   astiav.Rational
	// frames counts frames sent in (Encode's goroutine only).
	frames int64
	// forceKey makes the next video frame an IDR.
	forceKey bool
	// bitrate is the video target now (SetBitrate).
	bitrate int64
}

// ForceKeyframe makes the next video frame a keyframe (an IDR), for an
// output that joins the stream and must start on one. Same goroutine as
// Encode.
func (e *Encoder) ForceKeyframe() { e.forceKey = true }

// Keyint is the GOP length in frames for a keyframe interval in seconds.
func Keyint(keyintS float64, rate astiav.Rational) int {
	return max(int(keyintS*rate.Float64()+0.5), 1)
}

// NewVideo opens libx264 with live settings.
func NewVideo(cfg VideoConfig) (*Encoder, error) {
	codec := astiav.FindEncoderByName("libx264")
	if codec == nil {
		return nil, errors.New("video encoder: libx264 is not available in this FFmpeg build")
	}
	cc := astiav.AllocCodecContext(codec)
	cc.SetWidth(cfg.Width)
	cc.SetHeight(cfg.Height)
	cc.SetPixelFormat(astiav.PixelFormatYuv420P)
	tb := astiav.NewRational(cfg.FrameRate.Den(), cfg.FrameRate.Num())
	cc.SetTimeBase(tb)
	cc.SetFramerate(cfg.FrameRate)
	cc.SetSampleAspectRatio(astiav.NewRational(1, 1))
	cc.SetBitRate(cfg.BitrateBps)
	keyint := Keyint(cfg.KeyintS, cfg.FrameRate)
	cc.SetGopSize(keyint)
	// Extradata (SPS/PPS) out of band: FLV wants an AVC sequence header.
	cc.SetFlags(cc.Flags().Add(astiav.CodecContextFlagGlobalHeader))

	opts := astiav.NewDictionary()
	defer opts.Free()
	rate := strconv.FormatInt(cfg.BitrateBps, 10)
	set := map[string]string{
		// CBR the way ingest servers want it: maxrate = bufsize = bitrate.
		"maxrate": rate, "bufsize": rate, "nal-hrd": "cbr",
		"keyint_min": strconv.Itoa(keyint), "sc_threshold": "0",
		"preset": cfg.Preset, "profile": cfg.Profile,
		"forced-idr": "1",
	}
	if cfg.Tune != "" {
		set["tune"] = cfg.Tune
	}
	if cfg.Adaptive {
		delete(set, "nal-hrd")
		set["x264-params"] = "filler=1"
	}
	for k, v := range set {
		if v == "" {
			continue
		}
		if err := opts.Set(k, v, astiav.NewDictionaryFlags()); err != nil {
			cc.Free()
			return nil, fmt.Errorf("video encoder option %s=%s: %w", k, v, err)
		}
	}
	if err := cc.Open(codec, opts); err != nil {
		cc.Free()
		return nil, fmt.Errorf("open libx264 (%dx%d, %s, preset %s, profile %s): %w",
			cfg.Width, cfg.Height, rate, cfg.Preset, cfg.Profile, err)
	}
	return &Encoder{kind: media.Video, cc: cc, pkt: astiav.AllocPacket(), tb: tb, bitrate: cfg.BitrateBps}, nil
}

// SetBitrate changes the video bitrate from the next frame on, without
// restarting the encoder or breaking its GOP (VideoConfig.Adaptive; with
// nal-hrd x264 keeps the old rate and warns). Same goroutine as Encode.
func (e *Encoder) SetBitrate(bps int64) {
	if bps == e.bitrate || e.kind != media.Video {
		return
	}
	e.bitrate = bps
	// CBR as at the start: maxrate = bufsize = bitrate (bufsize in bits).
	av.SetRateControl(e.cc, bps, bps, int(min(bps, 1<<31-1)))
}

// Bitrate is the video target bitrate now.
func (e *Encoder) Bitrate() int64 { return e.bitrate }

// NewAudio opens FFmpeg's native AAC-LC encoder.
func NewAudio(cfg AudioConfig) (*Encoder, error) {
	codec := astiav.FindEncoder(astiav.CodecIDAac)
	if codec == nil {
		return nil, errors.New("audio encoder: AAC is not available in this FFmpeg build")
	}
	cc := astiav.AllocCodecContext(codec)
	cc.SetSampleFormat(astiav.SampleFormatFltp)
	cc.SetSampleRate(cfg.SampleRate)
	layout := astiav.ChannelLayoutStereo
	if cfg.Channels == 1 {
		layout = astiav.ChannelLayoutMono
	}
	cc.SetChannelLayout(layout)
	cc.SetChannels(cfg.Channels)
	cc.SetBitRate(cfg.BitrateBps)
	tb := astiav.NewRational(1, cfg.SampleRate)
	cc.SetTimeBase(tb)
	cc.SetFlags(cc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	if err := cc.Open(codec, nil); err != nil {
		cc.Free()
		return nil, fmt.Errorf("open AAC encoder (%d Hz, %d ch, %d bps): %w", cfg.SampleRate, cfg.Channels, cfg.BitrateBps, err)
	}
	return &Encoder{kind: media.Audio, cc: cc, pkt: astiav.AllocPacket(), tb: tb}, nil
}

// ExtraData is the codec configuration: SPS/PPS for H.264, the
// AudioSpecificConfig for AAC.
func (e *Encoder) ExtraData() []byte { return e.cc.ExtraData() }

// FrameSize is the number of samples per audio frame the encoder expects.
func (e *Encoder) FrameSize() int { return e.cc.FrameSize() }

// Frames is how many frames were sent in.
func (e *Encoder) Frames() int64 { return e.frames }

// Encode sends one frame (nil flushes) and hands every finished packet to
// emit, which takes over the packet's single reference.
func (e *Encoder) Encode(f *astiav.Frame, emit func(*media.Packet)) error {
	if f != nil {
		e.frames++
		if e.kind == media.Video {
			// Decoders and lavfi sources mark frames as I; with forced-idr
			// libx264 would make every such frame an IDR. The GOP is ours.
			f.SetPictureType(astiav.PictureTypeNone)
			if e.forceKey {
				e.forceKey = false
				f.SetPictureType(astiav.PictureTypeI)
			}
		}
	}
	if err := e.cc.SendFrame(f); err != nil && !errors.Is(err, astiav.ErrEof) {
		return fmt.Errorf("encode %s: %w", e.kind, err)
	}
	for {
		err := av.ReceivePacket(e.cc, e.pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("encode %s: %w", e.kind, err)
		}
		pts, dts := e.pkt.Pts(), e.pkt.Dts()
		if dts == astiav.NoPtsValue {
			dts = pts
		}
		key := e.kind == media.Audio || e.pkt.Flags().Has(astiav.PacketFlagKey)
		p := media.NewPacket(e.kind, e.toTime(pts), e.toTime(dts), key, av.PacketData(e.pkt))
		e.pkt.Unref()
		emit(p)
	}
}

func (e *Encoder) toTime(ts int64) time.Duration {
	return media.TicksToDuration(ts, e.tb.Num(), e.tb.Den()) + StartOffset
}

// Close frees the encoder.
func (e *Encoder) Close() {
	e.pkt.Free()
	e.cc.Free()
}
