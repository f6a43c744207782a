package source

import (
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
	"studio/pipeline/media"
)

// Live is a source fed by capture devices in real time: a picture device
// (screen, camera) and optionally an audio device. Its frames are made on
// the program clock, not the devices': each video tick takes the device's
// newest picture (holding the last one when the device is late, black
// after StaleAfter without pictures), and audio is what the device
// captured, drift-corrected onto the same clock, with silence filling in
// while the device is silent or gone. A device that fails is reopened in
// the background; the program never waits for it.
type Live struct {
	format Format
	clock  *Clock
	video  *videoCapture
	audio  *audioCapture // nil: silence

	picture *astiav.Frame // a reference to the device's picture, handed out
	black   *astiav.Frame
	silence *astiav.Frame
	handout *Handout      // black and silence go out through it
	current *astiav.Frame // audio frame handed out by the last Read (owned)

	cursor   // where the next frames go on the program clock
	timer    *time.Timer
	openedAt time.Time
}

// Live-source timings.
const (
	// StaleAfter without a picture clears the held one to black (the
	// compositor's stale_ms default).
	StaleAfter = 3 * time.Second
	// stallAfter without a picture or audio marks the source stalled.
	stallAfter = time.Second
	// audioFillAfter is how far audio may lag the clock before silence
	// stands in for it (a device's buffers normally lag 10–50 ms).
	audioFillAfter = 300 * time.Millisecond
)

// newLive builds a live source over a running video capture and an
// optional audio capture (nil: silence).
func newLive(f Format, clock *Clock, video *videoCapture, audio *audioCapture) (*Live, error) {
	l := &Live{format: f, clock: clock, video: video, audio: audio,
		picture: astiav.AllocFrame(), handout: NewHandout(), timer: time.NewTimer(time.Hour), openedAt: time.Now()}
	l.timer.Stop()
	var err error
	if l.black, err = BlackPicture(f); err != nil {
		l.Close()
		return nil, err
	}
	if l.silence, err = SilentBlock(f); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// BlackPicture is one black yuv420p frame in format f: the picture held
// when there is nothing else to show.
func BlackPicture(f Format) (*astiav.Frame, error) {
	b := astiav.AllocFrame()
	b.SetWidth(f.Width)
	b.SetHeight(f.Height)
	b.SetPixelFormat(astiav.PixelFormatYuv420P)
	if err := b.AllocBuffer(0); err != nil {
		b.Free()
		return nil, fmt.Errorf("black picture: %w", err)
	}
	if err := b.ImageFillBlack(); err != nil {
		b.Free()
		return nil, fmt.Errorf("black picture: %w", err)
	}
	return b, nil
}

// SilentBlock is one AudioFrameSamples block of planar-float silence in
// format f.
func SilentBlock(f Format) (*astiav.Frame, error) {
	s := astiav.AllocFrame()
	s.SetNbSamples(AudioFrameSamples)
	s.SetSampleFormat(astiav.SampleFormatFltp)
	s.SetSampleRate(f.SampleRate)
	s.SetChannelLayout(channelLayout(f.Channels))
	if err := s.AllocBuffer(0); err != nil {
		s.Free()
		return nil, fmt.Errorf("silence: %w", err)
	}
	for c := 0; c < f.Channels; c++ {
		clear(av.PlanarFloat(s, c))
	}
	return s, nil
}

// Format implements Source.
func (l *Live) Format() Format { return l.format }

// CorruptPackets implements Source; a live capture has none (a corrupt
// camera picture is skipped by the capture).
func (l *Live) CorruptPackets() int64 { return 0 }

// Status implements Monitored.
func (l *Live) Status() Status {
	st := Status{Pictures: l.video.frames.Load()}
	if msg := l.video.status(); msg != "" {
		st.Stalled, st.Err = true, msg
		return st
	}
	if age, ok := l.video.age(); ok && age > stallAfter || !ok && time.Since(l.openedAt) > stallAfter {
		if !ok {
			age = time.Since(l.openedAt)
		}
		st.Stalled, st.Err = true, fmt.Sprintf("%s: no picture for %s", l.video.name, age.Round(100*time.Millisecond))
		return st
	}
	if l.audio != nil {
		if msg := l.audio.status(); msg != "" {
			st.Stalled, st.Err = true, msg
		}
	}
	return st
}

// Read implements Source: the next frame on the program clock, waiting
// for its time. It never waits for a device.
func (l *Live) Read() (Frame, error) {
	l.releaseAudio()
	l.clock.Start() // no-op when the engine started it
	now, _ := l.clock.Now()
	l.sync(l.format, now)
	for {
		tv := l.format.VideoTime(l.nextV)
		if fr, ok := l.audioFrame(tv, now); ok {
			return fr, nil
		}
		now, _ = l.clock.Now()
		if now >= tv {
			return l.videoFrame(), nil
		}
		wait := tv - now
		if l.audio == nil {
			time.Sleep(wait) // nothing else can arrive
			continue
		}
		l.timer.Reset(wait)
		select {
		case <-l.timer.C:
		case <-l.audio.arrived:
			if !l.timer.Stop() {
				<-l.timer.C
			}
		}
		now, _ = l.clock.Now()
	}
}

// audioFrame returns the next audio block when it is due before the video
// frame at tv: the device's, or silence when there is no device, when the
// device's audio starts later, or when it has lagged audioFillAfter.
func (l *Live) audioFrame(tv, now time.Duration) (Frame, bool) {
	ta := l.format.AudioTime(l.nextA)
	if ta > tv {
		return Frame{}, false
	}
	if l.audio != nil {
		// The device's blocks are contiguous but need not sit on this
		// source's block grid (aresample may trim or pad a stall): a block
		// within half a block of its slot takes the slot, one that starts
		// more than half a block early has mostly been covered already.
		const half = AudioFrameSamples / 2
		if f := l.audio.next(l.nextA - half); f != nil {
			if f.Pts() < l.nextA+half {
				f.SetPts(l.nextA)
				l.current = f
				l.nextA += int64(f.NbSamples())
				return Frame{Kind: media.Audio, AV: f, PTS: f.Pts(), Time: ta}, true
			}
			l.audio.unread(f) // later than due: fill the gap before it
		} else if now-ta < audioFillAfter {
			return Frame{}, false // wait for the device
		}
	}
	silence := l.handout.Of(l.silence)
	silence.SetPts(l.nextA)
	fr := Frame{Kind: media.Audio, AV: silence, PTS: l.nextA, Time: ta}
	l.nextA += AudioFrameSamples
	return fr, true
}

// videoFrame is the frame at nextV: the device's newest picture, or black
// when there is none or it has gone stale.
func (l *Live) videoFrame() Frame {
	pic := l.picture
	if age, ok := l.video.take(l.picture); !ok || age > StaleAfter {
		pic = l.handout.Of(l.black)
	}
	pic.SetPts(l.nextV)
	fr := Frame{Kind: media.Video, AV: pic, PTS: l.nextV, Time: l.format.VideoTime(l.nextV)}
	l.nextV++
	return fr
}

// releaseAudio gives the audio frame of the previous Read back to the capture.
func (l *Live) releaseAudio() {
	if l.current != nil {
		l.audio.recycle(l.current)
		l.current = nil
	}
}

// Close implements Source.
func (l *Live) Close() {
	l.releaseAudio()
	if l.video != nil {
		l.video.close()
	}
	if l.audio != nil {
		l.audio.close()
	}
	for _, f := range []*astiav.Frame{l.picture, l.black, l.silence} {
		if f != nil {
			f.Free()
		}
	}
	l.handout.Free()
}

// Status is how a live source's devices are doing.
type Status struct {
	// Stalled: a device has failed or stopped delivering; the source is
	// holding its last picture (or black) and silence meanwhile.
	Stalled bool
	// Err says which device and why.
	Err string
	// Pictures counts what the picture device has delivered, so that a
	// device slower than the program shows its own rate.
	Pictures int64
}

// Rejoiner is implemented by sources that run in real time whether or not
// they are read: told they are going back on air, they skip to the present.
type Rejoiner interface {
	Rejoin()
}

// Monitored is implemented by sources whose devices can stall while the
// program goes on.
type Monitored interface {
	Status() Status
}
