package source

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
	"studio/pipeline/media"
)

// guestInput is one connection to a guest's URL: the demuxer, a decoder
// for its first video and first audio stream, and the graphs that bring
// what they decode to the program format. It reuses the file source's
// pieces (openDecoder, fitChain, audioOut, the aresample set-up) but not
// its loop: a guest's pictures are sampled on the program clock like a
// capture device's, so there is no frame-rate conversion, and its packets
// are watched for a restarted publisher (see checkJump).
type guestInput struct {
	fc   *astiav.FormatContext
	intr astiav.IOInterrupter // kept here: FFmpeg holds a pointer into it
	// streams is how many streams the demuxer had when last looked at:
	// a packet of a stream beyond it makes the input look again.
	streams      int
	video, audio guestStream
	zeroUs       int64 // the input's time zero, µs
	zeroSet      bool
}

// guestStream is one decoded stream of a guest input.
type guestStream struct {
	idx   int // -1: none
	dec   *astiav.CodecContext
	tb    astiav.Rational
	graph *filters.Graph
	// the decoded pictures the video graph was built for
	w, h int
	pix  astiav.PixelFormat
	// lastUs and lastAt are the newest packet's time (µs) and arrival.
	lastUs int64
	lastAt time.Time
}

// Restart detection (checkJump): a packet whose time goes back by more
// than guestJumpBack (a stream's DTS never goes back), or forward by more
// than guestJumpAhead beyond the time that passed, starts a new timeline.
const (
	guestJumpBack  = 100 * time.Millisecond
	guestJumpAhead = 5 * time.Second
)

// errRestarted says a stream's timestamps jumped: a new publisher on the
// same connection (nginx-rtmp keeps its players connected between
// publishers) or a server that restarted the stream.
type errRestarted struct{ from, to time.Duration }

func (e errRestarted) Error() string {
	return fmt.Sprintf("the stream restarted (its time went from %s to %s)", e.from.Round(time.Millisecond), e.to.Round(time.Millisecond))
}

// guestOptions are the FFmpeg options a guest URL is opened with:
//   - rw_timeout: every read (and so the open, which reads) gives up after
//     timeout without data, so a dead or silent server ends the connection;
//   - fpsprobesize 0: the pictures are sampled on the program clock, so
//     their rate is not probed (that costs a second of pictures);
//   - analyzeduration 1 s: a guest without audio (or video) is not probed
//     for it for FFmpeg's default 5 s (a track that starts later is
//     picked up when its first packet comes);
//   - rtmp_live live: RTMP asks for the live stream.
//
// extra comes last and wins.
func guestOptions(url string, timeout time.Duration, extra map[string]string) map[string]string {
	opts := map[string]string{
		"rw_timeout":      strconv.FormatInt(timeout.Microseconds(), 10),
		"fpsprobesize":    "0",
		"analyzeduration": "1000000",
	}
	scheme, _, _ := strings.Cut(strings.ToLower(url), "://")
	if strings.HasPrefix(scheme, "rtmp") {
		// Not "timeout": for rtmp that means listen for a publisher.
		opts["rtmp_live"] = "live"
	}
	for k, v := range extra {
		opts[k] = v
	}
	return opts
}

// openGuestInput connects to url. register gets the input's interrupter
// before anything can block, so that Close can cut the open short; it
// reports false when the guest is closing (the open is abandoned).
func openGuestInput(url, shown string, opts map[string]string, timeout time.Duration, register func(astiav.IOInterrupter) bool) (_ *guestInput, err error) {
	in := &guestInput{fc: astiav.AllocFormatContext(), video: guestStream{idx: -1}, audio: guestStream{idx: -1}}
	if in.fc == nil {
		return nil, errors.New("allocate the demuxer")
	}
	in.intr = in.fc.SetInterruptCallback()
	if !register(in.intr) {
		in.fc.Free()
		return nil, errGuestClosed
	}
	dict := astiav.NewDictionary()
	defer dict.Free()
	for k, v := range opts {
		if err := dict.Set(k, v, astiav.NewDictionaryFlags()); err != nil {
			in.fc.Free()
			return nil, fmt.Errorf("option %s: %w", k, err)
		}
	}
	began := time.Now()
	if err := in.fc.OpenInput(url, nil, dict); err != nil {
		in.fc.Free() // avformat_open_input freed the context; this frees nothing twice
		return nil, fmt.Errorf("open %s: %w", shown, silent(err, time.Since(began), timeout))
	}
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	if err := in.fc.FindStreamInfo(nil); err != nil {
		return nil, fmt.Errorf("read stream info of %s: %w", shown, silent(err, time.Since(began), timeout))
	}
	if err := in.lookForStreams(); err != nil {
		return nil, fmt.Errorf("%s: %w", shown, err)
	}
	if in.video.idx < 0 && in.audio.idx < 0 {
		return nil, fmt.Errorf("%s has no audio or video stream", shown)
	}
	if st := in.fc.StartTime(); st != astiav.NoPtsValue {
		in.zeroUs, in.zeroSet = st, true
	}
	return in, nil
}

// lookForStreams opens a decoder for the first video and the first audio
// stream, if not done yet. Formats without a header (FLV) may add a stream
// once its first packet comes.
func (in *guestInput) lookForStreams() error {
	ss := in.fc.Streams()
	in.streams = len(ss)
	for _, s := range ss {
		var gs *guestStream
		switch s.CodecParameters().MediaType() {
		case astiav.MediaTypeVideo:
			gs = &in.video
		case astiav.MediaTypeAudio:
			gs = &in.audio
		default:
			continue
		}
		if gs.idx >= 0 {
			continue
		}
		dec, err := openDecoder(in.fc, s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.CodecParameters().MediaType(), err)
		}
		gs.idx, gs.dec, gs.tb, gs.lastUs = s.Index(), dec, s.TimeBase(), astiav.NoPtsValue
	}
	return nil
}

// stream returns the decoded stream packets of index idx belong to, or nil.
func (in *guestInput) stream(idx int) (*guestStream, error) {
	if idx >= in.streams {
		if err := in.lookForStreams(); err != nil {
			return nil, err
		}
	}
	switch idx {
	case in.video.idx:
		return &in.video, nil
	case in.audio.idx:
		return &in.audio, nil
	}
	return nil, nil
}

// checkJump watches a stream's packet times for a new timeline.
func (in *guestInput) checkJump(s *guestStream, pkt *astiav.Packet) error {
	ts := pkt.Dts()
	if ts == astiav.NoPtsValue {
		ts = pkt.Pts()
	}
	if ts == astiav.NoPtsValue {
		return nil
	}
	us := media.TicksToDuration(ts, s.tb.Num(), s.tb.Den()).Microseconds()
	now := time.Now()
	last, lastAt := s.lastUs, s.lastAt
	s.lastUs, s.lastAt = us, now
	if last == astiav.NoPtsValue {
		if !in.zeroSet {
			in.zeroUs, in.zeroSet = us, true
		}
		return nil
	}
	d := time.Duration(us-last) * time.Microsecond
	if d < -guestJumpBack || d > now.Sub(lastAt)+guestJumpAhead {
		return errRestarted{from: time.Duration(last-in.zeroUs) * time.Microsecond, to: time.Duration(us-in.zeroUs) * time.Microsecond}
	}
	return nil
}

// inputUs is a decoded frame's time on the input's timeline, µs from its
// zero; ok is false for a frame without a time.
func (in *guestInput) inputUs(s *guestStream, f *astiav.Frame) (us int64, ok bool) {
	pts := f.Pts()
	if pts == astiav.NoPtsValue {
		pts = f.PktDts()
	}
	if pts == astiav.NoPtsValue {
		return 0, false
	}
	return media.TicksToDuration(pts, s.tb.Num(), s.tb.Den()).Microseconds() - in.zeroUs, true
}

// videoGraph returns the graph for decoded pictures like f, built (again)
// when their size or format changed.
func (s *guestStream) videoGraph(f *astiav.Frame, out Format) (*filters.Graph, error) {
	if s.graph != nil && f.Width() == s.w && f.Height() == s.h && f.PixelFormat() == s.pix {
		return s.graph, nil
	}
	if s.graph != nil {
		s.graph.Close()
		s.graph = nil
	}
	g, err := filters.NewVideo(fitChain(f.Width(), f.Height(), out), f, microseconds)
	if err != nil {
		return nil, fmt.Errorf("convert video: %w", err)
	}
	s.graph, s.w, s.h, s.pix = g, f.Width(), f.Height(), f.PixelFormat()
	return g, nil
}

// audioGraph builds the audio graph for decoded blocks like f, whose time
// is us: aresample (async) keeps the blocks on the input's timeline,
// filling gaps with silence, from the whole block at or before f on, so
// that blocks start on multiples of AudioFrameSamples.
func (s *guestStream) audioGraph(f *astiav.Frame, us int64, out Format) error {
	if s.graph != nil {
		s.graph.Close()
		s.graph = nil
	}
	first := max(us, 0) * int64(out.SampleRate) / 1e6
	first -= first % AudioFrameSamples
	desc := fmt.Sprintf("aresample=%d:async=1:first_pts=%d,%s", out.SampleRate, first, audioOut(out.Channels))
	g, err := filters.NewAudio(desc, f, microseconds)
	if err != nil {
		return fmt.Errorf("convert audio: %w", err)
	}
	s.graph = g
	return nil
}

// pushAudio feeds a decoded block (stamped in µs) to the audio graph,
// building it again once if the block's format changed (abuffer refuses
// such a block).
func (s *guestStream) pushAudio(f *astiav.Frame, out Format) error {
	if s.graph == nil {
		if err := s.audioGraph(f, f.Pts(), out); err != nil {
			return err
		}
	}
	if err := s.graph.Push(f); err == nil {
		return nil
	}
	if err := s.audioGraph(f, f.Pts(), out); err != nil {
		return err
	}
	if err := s.graph.Push(f); err != nil {
		return fmt.Errorf("convert audio: %w", err)
	}
	return nil
}

func (s *guestStream) close() {
	if s.graph != nil {
		s.graph.Close()
		s.graph = nil
	}
	if s.dec != nil {
		s.dec.Free()
		s.dec = nil
	}
}

// close frees the connection.
func (in *guestInput) close() {
	in.video.close()
	in.audio.close()
	in.fc.CloseInput()
	in.fc.Free()
}

// errNoData says what a read that timed out means.
type errNoData struct {
	after time.Duration
	err   error
}

func (e errNoData) Error() string {
	return fmt.Sprintf("nothing received for %s (%v)", e.after.Round(100*time.Millisecond), e.err)
}

func (e errNoData) Unwrap() error { return e.err }

// silent explains an error that came after waiting the whole timeout
// (FFmpeg says only "Input/output error"): a server that sends nothing,
// such as an RTMP stream without a publisher.
func silent(err error, waited, timeout time.Duration) error {
	if waited >= timeout*9/10 && !errors.Is(err, astiav.ErrExit) {
		return errNoData{waited, err}
	}
	return err
}

// errGuestClosed ends a connection attempt when the guest is closing.
var errGuestClosed = errors.New("the guest is closing")

// receive reads, decodes and converts until the connection ends (or the
// guest stops, when it returns nil), queueing every converted frame. pkt,
// decoded and pulled are the goroutine's own, reused for every frame.
func (g *Guest) receive(in *guestInput, pkt *astiav.Packet, decoded, pulled *astiav.Frame) error {
	for !g.stopped() {
		began := time.Now()
		if err := in.fc.ReadFrame(pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				return errors.New("the stream ended")
			}
			return fmt.Errorf("read: %w", silent(err, time.Since(began), g.timeout))
		}
		s, err := in.stream(pkt.StreamIndex())
		if err == nil && s != nil {
			if err = in.checkJump(s, pkt); err == nil {
				err = g.decode(in, s, pkt, decoded, pulled)
			}
		}
		pkt.Unref()
		if err != nil {
			return err
		}
	}
	return nil
}

// decode sends a packet to its decoder and converts and queues what comes out.
func (g *Guest) decode(in *guestInput, s *guestStream, pkt *astiav.Packet, decoded, pulled *astiav.Frame) error {
	if err := s.dec.SendPacket(pkt); err != nil && !errors.Is(err, astiav.ErrEagain) {
		g.corrupt.Add(1) // a corrupt packet is skipped, not fatal
		return nil
	}
	for {
		err := av.ReceiveFrame(s.dec, decoded)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			g.corrupt.Add(1)
			return nil
		}
		err = g.convert(in, s, decoded, pulled)
		decoded.Unref()
		if err != nil {
			return err
		}
	}
}

// convert brings a decoded frame to the program format and queues it in
// the jitter buffer, stamped with its input time.
func (g *Guest) convert(in *guestInput, s *guestStream, decoded, pulled *astiav.Frame) error {
	us, ok := in.inputUs(s, decoded)
	if !ok {
		return nil
	}
	decoded.SetPts(us)
	video := s == &in.video
	var graph *filters.Graph
	if video {
		var err error
		if graph, err = s.videoGraph(decoded, g.format); err != nil {
			return err
		}
		if err := graph.Push(decoded); err != nil {
			return fmt.Errorf("convert video: %w", err)
		}
	} else {
		if err := s.pushAudio(decoded, g.format); err != nil {
			return err
		}
		graph = s.graph
	}
	rate := int64(g.format.SampleRate)
	for graph.Pull(pulled) == nil {
		now, started := g.clock.Now()
		if !started {
			pulled.Unref() // the program has not started: nothing to place it by
			continue
		}
		x := pulled.Pts() // audio comes out in samples
		if video {
			x = x * rate / 1e6
			g.pictures.Add(1)
		}
		if g.buf.put(pulled, video, x, samplesOf(now, g.format.SampleRate)) {
			g.logReanchor()
		}
		pulled.Unref()
		if !video {
			g.arrive()
		}
	}
	return nil
}
