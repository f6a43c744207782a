package output

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
	"studio/pipeline/media"
	"studio/pipeline/output/flv"
)

// MKVClusterTime bounds a Matroska cluster. FFmpeg's muxer keeps the
// cluster it is filling in memory and hands it to the file when it closes,
// so this is how much a kill -9 can cost at most (plus the packet that
// closes it). Closed clusters go to the kernel at once (flush_packets).
const MKVClusterTime = time.Second

// mkvMuxOptions are the muxer's options: every finished cluster goes to the
// kernel straight away, and clusters are short.
var mkvMuxOptions = [][2]string{
	{"flush_packets", "1"},
	{"cluster_time_limit", fmt.Sprint(MKVClusterTime.Milliseconds())},
}

// Stream indexes of an MKV recording.
const (
	mkvVideo = 0
	mkvAudio = 1
)

var (
	pktFlagKey  = astiav.NewPacketFlags(astiav.PacketFlagKey)
	pktFlagNone = astiav.NewPacketFlags()
)

// MKVRecorder writes the program to a local Matroska file through FFmpeg's
// muxer. Like the FLV Recorder it stays playable when studio is killed: the
// file is complete up to the last closed cluster (at most MKVClusterTime
// behind). Close writes the index (cues) and the duration.
//
// H.264 is stored as avcC with length-prefixed NAL units (converted from
// libx264's Annex B), AAC as raw frames with the AudioSpecificConfig as
// codec private data.
type MKVRecorder struct {
	Path string

	fc *astiav.FormatContext
	io *astiav.IOContext
	// pkts take turns: the muxer may hold on to the last audio packet
	// until the next write, and a packet whose buffer is shared would get
	// a new one (an allocation) on every fill.
	pkts [2]*astiav.Packet
	next int
	// tb is each stream's time base once the header is written.
	tb [2]astiav.Rational
	// dur is each stream's packet duration in its time base.
	dur   [2]int64
	buf   []byte // the access unit, length-prefixed
	shift time.Duration

	written atomic.Int64
}

var _ shifter = (*MKVRecorder)(nil)

func (r *MKVRecorder) setShift(d time.Duration) { r.shift = d }

// Open implements Sink: it creates the file and writes the Matroska header
// with one H.264 and one AAC track. An audio-only header is refused: the
// MKV recorder writes program recordings, which always have a picture.
func (r *MKVRecorder) Open(_ context.Context, h media.StreamHeader) (err error) {
	if r.fc != nil {
		return &PermanentError{fmt.Errorf("recording %s: already open", r.Path)}
	}
	if audioOnly(h) {
		return &PermanentError{fmt.Errorf("recording %s: an audio-only stream cannot be recorded as MKV (use FLV)", r.Path)}
	}
	avcC, err := flv.AVCDecoderConfig(h.AVCConfig)
	if err != nil {
		return &PermanentError{fmt.Errorf("H.264 sequence header: %w", err)}
	}
	asc := h.AudioConfig
	if len(asc) == 0 {
		if asc, err = flv.AudioSpecificConfig(h.AudioSampleRate, h.AudioChannels); err != nil {
			return &PermanentError{fmt.Errorf("AAC sequence header: %w", err)}
		}
	}
	defer func() {
		if err != nil {
			r.free()
			err = &PermanentError{fmt.Errorf("recording %s: %w", r.Path, err)}
		}
	}()
	if r.fc, err = astiav.AllocOutputFormatContext(nil, "matroska", r.Path); err != nil {
		return fmt.Errorf("matroska muxer: %w", err)
	}
	if err = r.addStreams(h, avcC, asc); err != nil {
		return err
	}
	// "file:" so that a name with a colon is not taken for a protocol.
	if r.io, err = astiav.OpenIOContext("file:"+r.Path, astiav.NewIOContextFlags(astiav.IOContextFlagWrite)); err != nil {
		return err
	}
	r.fc.SetPb(r.io)
	opts := astiav.NewDictionary()
	defer opts.Free()
	for _, o := range mkvMuxOptions {
		if err = opts.Set(o[0], o[1], astiav.NewDictionaryFlags()); err != nil {
			return fmt.Errorf("muxer option %s: %w", o[0], err)
		}
	}
	if err = r.fc.WriteHeader(opts); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	if e := opts.Get("", nil, astiav.NewDictionaryFlags(astiav.DictionaryFlagIgnoreSuffix)); e != nil {
		return fmt.Errorf("muxer option %s not recognised", e.Key())
	}
	r.io.Flush()
	for _, s := range r.fc.Streams() {
		r.tb[s.Index()] = s.TimeBase()
	}
	fps := h.FrameRate
	if fps <= 0 {
		fps = 30
	}
	r.dur[mkvVideo] = durationToTicks(time.Duration(float64(time.Second)/fps), r.tb[mkvVideo])
	r.dur[mkvAudio] = durationToTicks(time.Duration(aacFrameSize*int64(time.Second)/int64(max(h.AudioSampleRate, 1))), r.tb[mkvAudio])
	for i := range r.pkts {
		if r.pkts[i] = astiav.AllocPacket(); r.pkts[i] == nil {
			return errors.New("alloc packet")
		}
	}
	r.written.Store(av.IOTell(r.io))
	return nil
}

// aacFrameSize is the samples in one AAC-LC frame.
const aacFrameSize = 1024

func (r *MKVRecorder) addStreams(h media.StreamHeader, avcC, asc []byte) error {
	vs := r.fc.NewStream(nil)
	if vs == nil {
		return errors.New("new video stream")
	}
	vs.SetTimeBase(astiav.NewRational(1, 1000))
	if rate := frameRateRational(h.FrameRate); rate.Num() > 0 {
		vs.SetAvgFrameRate(rate)
	}
	vp := vs.CodecParameters()
	vp.SetMediaType(astiav.MediaTypeVideo)
	vp.SetCodecID(astiav.CodecIDH264)
	vp.SetWidth(h.Width)
	vp.SetHeight(h.Height)
	vp.SetPixelFormat(astiav.PixelFormatYuv420P)
	vp.SetSampleAspectRatio(astiav.NewRational(1, 1))
	if err := vp.SetExtraData(avcC); err != nil {
		return fmt.Errorf("video extradata: %w", err)
	}

	as := r.fc.NewStream(nil)
	if as == nil {
		return errors.New("new audio stream")
	}
	as.SetTimeBase(astiav.NewRational(1, 1000))
	ap := as.CodecParameters()
	ap.SetMediaType(astiav.MediaTypeAudio)
	ap.SetCodecID(astiav.CodecIDAac)
	ap.SetSampleRate(h.AudioSampleRate)
	layout := astiav.ChannelLayoutStereo
	if h.AudioChannels == 1 {
		layout = astiav.ChannelLayoutMono
	}
	ap.SetChannelLayout(layout)
	ap.SetChannels(h.AudioChannels)
	ap.SetFrameSize(aacFrameSize)
	if err := ap.SetExtraData(asc); err != nil {
		return fmt.Errorf("audio extradata: %w", err)
	}
	return nil
}

// frameRateRational is fps as a rational: whole rates over 1, NTSC-style
// rates (29.97) over 1001.
func frameRateRational(fps float64) astiav.Rational {
	if fps <= 0 {
		return astiav.NewRational(0, 1)
	}
	if n := math.Round(fps); math.Abs(fps-n) < 1e-6 {
		return astiav.NewRational(int(n), 1)
	}
	return astiav.NewRational(int(math.Round(fps*1001)), 1001)
}

// Write implements Sink: one packet into the muxer. Nothing allocates
// here in steady state.
func (r *MKVRecorder) Write(p *media.Packet) error {
	if r.fc == nil {
		return &PermanentError{fmt.Errorf("recording %s: not open", r.Path)}
	}
	idx, data, flags := mkvAudio, p.Data, pktFlagKey
	if p.Kind == media.Video {
		idx = mkvVideo
		if need := len(p.Data)*5/4 + 16; cap(r.buf) < need {
			r.buf = make([]byte, 0, need*2)
		}
		r.buf = flv.AppendLengthPrefixed(r.buf[:0], p.Data)
		data = r.buf
		if !p.Key {
			flags = pktFlagNone
		}
	}
	pkt := r.pkts[r.next]
	r.next ^= 1
	if err := av.PacketFill(pkt, data); err != nil {
		return &PermanentError{fmt.Errorf("recording %s: %w", r.Path, err)}
	}
	tb := r.tb[idx]
	pkt.SetStreamIndex(idx)
	pkt.SetPts(durationToTicks(p.PTS-r.shift, tb))
	pkt.SetDts(durationToTicks(p.DTS-r.shift, tb))
	pkt.SetDuration(r.dur[idx])
	pkt.SetFlags(flags)
	err := r.fc.WriteFrame(pkt)
	r.written.Store(av.IOTell(r.io))
	if err != nil {
		return &PermanentError{fmt.Errorf("recording %s: write %s: %w", r.Path, p.Kind, err)}
	}
	return nil
}

// Close implements Sink: it writes the trailer (the last cluster, cues,
// duration), closes and syncs the file and frees the muxer. Close twice is
// harmless.
func (r *MKVRecorder) Close() error {
	if r.fc == nil {
		return nil
	}
	err := r.fc.WriteTrailer()
	if err != nil {
		err = fmt.Errorf("write trailer: %w", err)
	}
	r.written.Store(av.IOTell(r.io))
	r.free()
	if err == nil {
		err = syncFile(r.Path)
	}
	if err != nil {
		return fmt.Errorf("recording %s: %w", r.Path, err)
	}
	return nil
}

// free releases every FFmpeg object the recorder holds (closing the file
// first); it is the one place they are freed, for Close and for every
// failed Open.
func (r *MKVRecorder) free() {
	for i, p := range r.pkts {
		if p != nil {
			p.Free()
			r.pkts[i] = nil
		}
	}
	if r.io != nil {
		_ = r.io.Close()
		r.io = nil
	}
	if r.fc != nil {
		r.fc.Free()
		r.fc = nil
	}
}

// syncFile makes what was written to path durable (fsync syncs the file,
// whichever descriptor asks). A path that cannot be synced (/dev/null) is
// not an error.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if errors.Is(err, syscall.EINVAL) {
		err = nil
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// BytesWritten implements Sink: the size of the file so far (the muxer
// writes whole clusters).
func (r *MKVRecorder) BytesWritten() int64 { return r.written.Load() }

// durationToTicks converts d to time base tb, rounding to the nearest tick
// (halves away from zero) like av_rescale_q, and like the FLV tagger's
// milliseconds, so that a frame's decode and presentation times keep their
// exact distance.
func durationToTicks(d time.Duration, tb astiav.Rational) int64 {
	num, den := int64(tb.Num()), int64(tb.Den())
	if num <= 0 || den <= 0 {
		return 0
	}
	// d × den / (num × 1e9); for the 1/1000 time base of Matroska this is
	// roundMs.
	unit := num * int64(time.Second)
	if unit%den == 0 {
		step := unit / den
		if d < 0 {
			return -((-int64(d) + step/2) / step)
		}
		return (int64(d) + step/2) / step
	}
	return astiav.RescaleQRnd(int64(d), astiav.NewRational(1, int(time.Second)), tb, astiav.RoundingNearInf)
}
