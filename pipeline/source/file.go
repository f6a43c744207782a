package source

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
	"studio/presets"
)

// FileConfig says what to open and what program format to deliver.
type FileConfig struct {
	// Input is a path or any URL FFmpeg can open.
	Input string
	// Loop restarts the input at its end with continuous timestamps.
	Loop bool
	// Width and Height force the program size; zero keeps the input's size,
	// capped to MaxWidth x MaxHeight with its aspect ratio kept.
	Width, Height       int
	MaxWidth, MaxHeight int
	// FrameRate forces the program rate; zero keeps the input's, capped to MaxFrameRate.
	FrameRate    astiav.Rational
	MaxFrameRate float64
	// SampleRate and Channels of the program audio; zero means 48000 and 2.
	SampleRate, Channels int
}

// microseconds is the time base frames enter the filter graphs in: input
// timestamps are moved to program time (input start at 0, plus the loop
// offset) before filtering, so fps and aresample see one continuous timeline.
var microseconds = astiav.NewRational(1, 1000000)

// File decodes a media file or network stream into the program format.
type File struct {
	merger
	cfg FileConfig

	fc         *astiav.FormatContext
	pkt        *astiav.Packet
	decoded    *astiav.Frame
	vIdx, aIdx int
	vDec, aDec *astiav.CodecContext
	vTB, aTB   astiav.Rational
	startUs    int64
	hasVideo   bool
	hasAudio   bool

	vGraph, aGraph *filters.Graph
	// silence stands in for a missing audio track, black for a missing video track.
	silence, black *filters.Graph

	loopOffsetUs int64 // added to input time: where the current loop starts
	loopEndUs    int64 // latest end (program µs) of anything decoded
	loopFrames   int   // frames decoded in the current loop (guards empty loops)
	inputDone    bool  // the demuxer is finished for good
	videoDone    bool
	audioDone    bool
	lastVideoUs  int64 // program time of the newest queued video frame

	corrupt atomic.Int64
}

// OpenFile opens the input and settles the program format.
func OpenFile(cfg FileConfig) (_ *File, err error) {
	f := &File{cfg: cfg, vIdx: -1, aIdx: -1, pkt: astiav.AllocPacket(), decoded: astiav.AllocFrame()}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if err = f.openInput(); err != nil {
		return nil, err
	}
	f.format = f.programFormat()
	if !f.hasAudio {
		desc := fmt.Sprintf("anullsrc=r=%d:cl=%s:nb_samples=%d,%s", f.format.SampleRate, layoutName(f.format.Channels), AudioFrameSamples, audioOut(f.format.Channels))
		if f.silence, err = filters.NewGenerator(desc, true); err != nil {
			return nil, fmt.Errorf("silence for %q: %w", presets.MaskURL(cfg.Input), err)
		}
	}
	if !f.hasVideo {
		desc := fmt.Sprintf("color=c=black:s=%dx%d:r=%d/%d,format=yuv420p", f.format.Width, f.format.Height, f.format.FrameRate.Num(), f.format.FrameRate.Den())
		if f.black, err = filters.NewGenerator(desc, false); err != nil {
			return nil, fmt.Errorf("black video for %q: %w", presets.MaskURL(cfg.Input), err)
		}
	}
	return f, nil
}

// openInput opens (or reopens, for a loop) the demuxer and decoders.
func (f *File) openInput() error {
	f.closeInput()
	f.fc = astiav.AllocFormatContext()
	opts := astiav.NewDictionary()
	defer opts.Free()
	if strings.Contains(f.cfg.Input, "://") {
		// A network input that stops sending must not hang the run forever.
		_ = opts.Set("rw_timeout", "10000000", astiav.NewDictionaryFlags())
	}
	if err := f.fc.OpenInput(f.cfg.Input, nil, opts); err != nil {
		f.fc.Free()
		f.fc = nil
		if errors.Is(err, astiav.ErrInvaliddata) {
			return fmt.Errorf("input %q is not a media file FFmpeg can read (%w)", f.shown(), err)
		}
		return fmt.Errorf("open input %q: %w", f.shown(), err)
	}
	if err := f.fc.FindStreamInfo(nil); err != nil {
		return fmt.Errorf("read stream info of %q: %w", f.shown(), err)
	}
	f.vIdx, f.aIdx = -1, -1
	for _, s := range f.fc.Streams() {
		cp := s.CodecParameters()
		switch {
		case cp.MediaType() == astiav.MediaTypeVideo && f.vIdx < 0:
			dec, err := openDecoder(f.fc, s)
			if err != nil {
				return fmt.Errorf("video of %q: %w", f.shown(), err)
			}
			f.vIdx, f.vDec, f.vTB = s.Index(), dec, s.TimeBase()
		case cp.MediaType() == astiav.MediaTypeAudio && f.aIdx < 0:
			dec, err := openDecoder(f.fc, s)
			if err != nil {
				return fmt.Errorf("audio of %q: %w", f.shown(), err)
			}
			f.aIdx, f.aDec, f.aTB = s.Index(), dec, s.TimeBase()
		}
	}
	if f.vIdx < 0 && f.aIdx < 0 {
		return fmt.Errorf("input %q has no audio or video stream", f.shown())
	}
	f.hasVideo, f.hasAudio = f.vIdx >= 0, f.aIdx >= 0
	if st := f.fc.StartTime(); st != astiav.NoPtsValue {
		f.startUs = st
	}
	return nil
}

func openDecoder(fc *astiav.FormatContext, s *astiav.Stream) (*astiav.CodecContext, error) {
	codec := astiav.FindDecoder(s.CodecParameters().CodecID())
	if codec == nil {
		return nil, fmt.Errorf("no decoder for codec %s", s.CodecParameters().CodecID())
	}
	cc := astiav.AllocCodecContext(codec)
	if err := s.CodecParameters().ToCodecContext(cc); err != nil {
		cc.Free()
		return nil, fmt.Errorf("decoder parameters: %w", err)
	}
	if s.CodecParameters().MediaType() == astiav.MediaTypeVideo {
		cc.SetFramerate(fc.GuessFrameRate(s, nil))
	}
	cc.SetThreadCount(0) // let FFmpeg pick, as the ffmpeg CLI does
	if err := cc.Open(codec, nil); err != nil {
		cc.Free()
		return nil, fmt.Errorf("open %s decoder: %w", codec.Name(), err)
	}
	return cc, nil
}

func (f *File) closeInput() {
	if f.vDec != nil {
		f.vDec.Free()
		f.vDec = nil
	}
	if f.aDec != nil {
		f.aDec.Free()
		f.aDec = nil
	}
	if f.fc != nil {
		f.fc.CloseInput()
		f.fc.Free()
		f.fc = nil
	}
}

// programFormat decides size and rate from the config and the input.
func (f *File) programFormat() Format {
	out := Format{Width: f.cfg.Width, Height: f.cfg.Height, FrameRate: f.cfg.FrameRate,
		SampleRate: f.cfg.SampleRate, Channels: f.cfg.Channels}
	out.SampleRate, out.Channels = audioDefaults(out.SampleRate, out.Channels)
	var in *astiav.Stream
	if f.hasVideo {
		for _, s := range f.fc.Streams() {
			if s.Index() == f.vIdx {
				in = s
			}
		}
	}
	if out.Width == 0 || out.Height == 0 {
		out.Width, out.Height = 1280, 720
		if in != nil {
			out.Width, out.Height = fitSize(in.CodecParameters().Width(), in.CodecParameters().Height(), f.cfg.MaxWidth, f.cfg.MaxHeight)
		}
	}
	if out.FrameRate.Num() == 0 {
		out.FrameRate = astiav.NewRational(30, 1)
		if in != nil {
			if r := f.fc.GuessFrameRate(in, nil); r.Num() > 0 && r.Den() > 0 && r.Float64() <= 240 {
				out.FrameRate = r
			}
		}
		if f.cfg.MaxFrameRate > 0 && out.FrameRate.Float64() > f.cfg.MaxFrameRate+0.01 {
			out.FrameRate = astiav.NewRational(int(f.cfg.MaxFrameRate*1000), 1000)
		}
	}
	return out
}

// fitSize keeps w x h within maxW x maxH (aspect kept) and makes both even,
// as yuv420p H.264 needs.
func fitSize(w, h, maxW, maxH int) (int, int) {
	if w <= 0 || h <= 0 {
		return 1280, 720
	}
	if maxW > 0 && maxH > 0 && (w > maxW || h > maxH) {
		if w*maxH > h*maxW {
			h, w = h*maxW/w, maxW
		} else {
			w, h = w*maxH/h, maxH
		}
	}
	return max(w&^1, 2), max(h&^1, 2)
}

// Format implements Source.
func (f *File) Format() Format { return f.format }

// CorruptPackets implements Source.
func (f *File) CorruptPackets() int64 { return f.corrupt.Load() }

// Read implements Source.
func (f *File) Read() (Frame, error) {
	f.release()
	for !f.ready(f.videoDone, f.audioDone) {
		if f.videoDone && f.audioDone {
			return Frame{}, io.EOF
		}
		if err := f.step(); err != nil {
			return Frame{}, err
		}
	}
	return f.pop(), nil
}

// step moves the pipeline forward by one demuxed packet (or one end-of-input
// action) and keeps the stand-in generators level with the real track.
func (f *File) step() error {
	if !f.inputDone {
		if err := f.readPacket(); err != nil {
			return err
		}
	} else {
		if err := f.finish(); err != nil {
			return err
		}
	}
	return f.fillStandIns()
}

// shown is the input as errors may show it: a URL's key masked.
func (f *File) shown() string { return presets.MaskURL(f.cfg.Input) }

func (f *File) readPacket() error {
	err := f.fc.ReadFrame(f.pkt)
	if err != nil {
		if !errors.Is(err, astiav.ErrEof) {
			// A broken network input ends the input; what was decoded plays out.
			f.corrupt.Add(1)
		}
		if f.cfg.Loop && f.loopFrames > 0 {
			return f.restart()
		}
		f.inputDone = true
		return f.drainDecoders()
	}
	defer f.pkt.Unref()
	switch f.pkt.StreamIndex() {
	case f.vIdx:
		return f.decode(f.vDec, f.vTB, true, f.pkt)
	case f.aIdx:
		return f.decode(f.aDec, f.aTB, false, f.pkt)
	}
	return nil
}

// decode sends pkt (nil drains) and filters every frame that comes out.
func (f *File) decode(dec *astiav.CodecContext, tb astiav.Rational, video bool, pkt *astiav.Packet) error {
	if err := dec.SendPacket(pkt); err != nil && !errors.Is(err, astiav.ErrEof) {
		if errors.Is(err, astiav.ErrEagain) {
			return nil
		}
		f.corrupt.Add(1) // a corrupt packet is skipped, not fatal
		return nil
	}
	for {
		err := av.ReceiveFrame(dec, f.decoded)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			f.corrupt.Add(1)
			return nil
		}
		err = f.filter(f.decoded, tb, video)
		f.decoded.Unref()
		if err != nil {
			return err
		}
	}
}

// filter moves a decoded frame onto the program timeline and through the
// conversion graph of its kind.
func (f *File) filter(fr *astiav.Frame, tb astiav.Rational, video bool) error {
	pts := fr.Pts()
	if pts == astiav.NoPtsValue {
		pts = fr.PktDts()
	}
	if pts == astiav.NoPtsValue {
		return nil // nothing to place it by; skip
	}
	us := astiav.RescaleQ(pts, tb, microseconds) - f.startUs + f.loopOffsetUs
	fr.SetPts(us)
	f.loopFrames++
	var err error
	if video {
		end := us + int64(1e6/f.format.FrameRate.Float64())
		f.loopEndUs = max(f.loopEndUs, end)
		if f.vGraph == nil {
			// eof_action=pass keeps the last frame at the end of input (the
			// default rounds it away when the graph is closed at its pts).
			desc := fmt.Sprintf("fps=fps=%d/%d:start_time=0:eof_action=pass,%s",
				f.format.FrameRate.Num(), f.format.FrameRate.Den(), fitChain(fr.Width(), fr.Height(), f.format))
			if f.vGraph, err = filters.NewVideo(desc, fr, microseconds); err != nil {
				return fmt.Errorf("video of %q: %w", f.shown(), err)
			}
		}
		if err = f.vGraph.Push(fr); err != nil {
			return fmt.Errorf("filter video of %q: %w", f.shown(), err)
		}
		return f.drain(f.vGraph, &f.vq, true)
	}
	if sr := fr.SampleRate(); sr > 0 {
		f.loopEndUs = max(f.loopEndUs, us+int64(fr.NbSamples())*1e6/int64(sr))
	}
	if f.aGraph == nil {
		// async=1 stretches small drift and fills gaps (loop seams, missing
		// packets) with silence so audio stays on the video timeline.
		desc := fmt.Sprintf("aresample=%d:async=1:first_pts=0,%s", f.format.SampleRate, audioOut(f.format.Channels))
		if f.aGraph, err = filters.NewAudio(desc, fr, microseconds); err != nil {
			return fmt.Errorf("audio of %q: %w", f.shown(), err)
		}
	}
	if err = f.aGraph.Push(fr); err != nil {
		return fmt.Errorf("filter audio of %q: %w", f.shown(), err)
	}
	return f.drain(f.aGraph, &f.aq, false)
}

// drain pulls every ready frame from g into q; it reports the graph's end.
func (f *File) drain(g *filters.Graph, q *frameQueue, video bool) error {
	for {
		fr := q.slot()
		err := g.Pull(fr)
		if err != nil {
			q.drop(fr)
			if errors.Is(err, astiav.ErrEagain) {
				return nil
			}
			if errors.Is(err, astiav.ErrEof) {
				if video {
					f.videoDone = true
				} else {
					f.audioDone = true
				}
				return nil
			}
			return err
		}
		if video {
			f.lastVideoUs = f.format.VideoTime(fr.Pts()).Microseconds()
		}
		q.push(fr)
	}
}

// drainDecoders flushes what the decoders still hold into the graphs.
func (f *File) drainDecoders() error {
	if f.vDec != nil {
		if err := f.decode(f.vDec, f.vTB, true, nil); err != nil {
			return err
		}
	}
	if f.aDec != nil {
		if err := f.decode(f.aDec, f.aTB, false, nil); err != nil {
			return err
		}
	}
	return nil
}

// restart begins the next loop where the longest track of this one ended.
func (f *File) restart() error {
	if err := f.drainDecoders(); err != nil {
		return err
	}
	f.loopOffsetUs = f.loopEndUs
	f.loopFrames = 0
	if err := f.openInput(); err != nil {
		return fmt.Errorf("loop: %w", err)
	}
	return nil
}

// finish flushes the graphs once the input is over.
func (f *File) finish() error {
	for _, g := range []struct {
		g     *filters.Graph
		q     *frameQueue
		video bool
		done  *bool
	}{{f.vGraph, &f.vq, true, &f.videoDone}, {f.aGraph, &f.aq, false, &f.audioDone}} {
		if *g.done || g.g == nil {
			continue
		}
		if err := g.g.Push(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
			return err
		}
		if err := f.drain(g.g, g.q, g.video); err != nil {
			return err
		}
		*g.done = true
	}
	if f.vGraph == nil && f.black == nil {
		f.videoDone = true
	}
	if f.aGraph == nil && f.silence == nil {
		f.audioDone = true
	}
	return nil
}

// fillStandIns generates silence (or black) up to the real track's time so
// that a file with one track still gives a complete program.
func (f *File) fillStandIns() error {
	if f.silence != nil && !f.audioDone {
		limit := f.lastVideoUs + int64(1e6/f.format.FrameRate.Float64())
		for f.aq.len() < 64 {
			if f.aq.len() > 0 && f.format.AudioTime(f.aq.items[f.aq.len()-1].Pts()).Microseconds() >= limit {
				break
			}
			if f.videoDone && f.vq.len() == 0 {
				f.audioDone = true
				break
			}
			if f.vq.len() == 0 && !f.videoDone {
				break // wait until video is ahead
			}
			if err := pullOne(f.silence, &f.aq); err != nil {
				return err
			}
		}
	}
	if f.black != nil && !f.videoDone {
		for f.vq.len() < 8 {
			if f.aq.len() == 0 {
				if f.audioDone {
					f.videoDone = true
				}
				break
			}
			lastAudio := f.format.AudioTime(f.aq.items[f.aq.len()-1].Pts())
			if f.vq.len() > 0 && f.format.VideoTime(f.vq.items[f.vq.len()-1].Pts()) >= lastAudio {
				break
			}
			if err := pullOne(f.black, &f.vq); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close implements Source.
func (f *File) Close() {
	f.merger.close()
	f.closeInput()
	for _, g := range []*filters.Graph{f.vGraph, f.aGraph, f.silence, f.black} {
		if g != nil {
			g.Close()
		}
	}
	if f.pkt != nil {
		f.pkt.Free()
	}
	if f.decoded != nil {
		f.decoded.Free()
	}
}
