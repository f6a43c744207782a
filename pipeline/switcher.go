package pipeline

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"studio/filters/audiomix"
	"studio/filters/composite"
	"studio/internal/av"
	"studio/pipeline/media"
	"studio/pipeline/source"
	"studio/pipeline/stats"
)

// sceneSwitcher is the program's source: it reads the sources on air, each
// in step with the program's frame grid, composes the active scene's
// layers into one picture, mixes their sound, and keeps the program
// timeline continuous across scene switches and transitions.
//
// Sources not on air are not read: a file or test pattern is paused, which
// costs nothing while it waits; a capture or a guest keeps running (its
// device or the network runs in real time) and rejoins the present when it
// comes back on air.
//
// Every source delivers one picture per program frame and audio in
// 1024-sample blocks. When a source comes on air its audio and video are
// restamped so that each continues exactly where the program is (the next
// frame number, the next sample); a source's own audio and video were
// within one frame of each other, so they stay so.
type sceneSwitcher struct {
	format  source.Format
	sources []*programSource
	scenes  []*scene

	want   atomic.Int32 // scene asked for (any goroutine)
	active int          // scene on air (Read's goroutine only)

	// A fade in progress (Read's goroutine only): from is the scene fading
	// out (-1: none), over fadeFrames frames from fadeStart.
	from       int
	fadeStart  int64
	fadeFrames int64
	fadeTime   time.Duration // program time the fade started
	fadeDur    time.Duration

	nextV, nextA int64 // the program's next frame number and sample

	// holdOnEnd (the console): when a source on air ends or fails, its
	// layer keeps its last picture and the program goes on, so the stream
	// and the recording continue and the streamer can switch scenes.
	holdOnEnd bool
	black     *astiav.Frame   // shown for a full-frame source with no picture yet
	handout   *source.Handout // held pictures go out through it

	canvas  *astiav.Frame // the composed picture handed out
	fadeOut *astiav.Frame // the scene fading out, composed

	mixer   *audiomix.Mixer
	mixed   *astiav.Frame    // the mixed block handed out
	inputs  []audiomix.Input // per source, reused every block
	master  fader            // the program's fader
	minus   [][][]float32    // per source: its mix-minus planes (nil: none)
	returns []*returnFeed    // mix-minus feeds, by guest
	planes  [][]float32      // the mixed block's planes
	blocks  [][]float32      // scratch channel slices per source (flattened)

	// meterMaster: the mix feeds the master's meter. Off when the program has
	// audio filters of its own: the engine meters after them.
	meterMaster bool
}

// scene is one scene ready to compose.
type scene struct {
	name   string
	layers []composite.Layer
	srcs   []int // source of each layer
	// full: one source full frame, handed through without composing.
	full bool
	comp *composite.Compositor
	pics []*astiav.Frame // scratch: the picture of each layer
	fade time.Duration   // 0: cut to it
}

// sceneRef describes a scene to newSceneSwitcher: its layers (bottom
// first) with their sources, background and transition. No layers: the
// one source in srcs, full frame.
type sceneRef struct {
	name       string
	layers     []composite.Layer
	srcs       []int
	background [3]uint8 // Y, U, V; zero is black
	image      string   // background picture file
	fade       time.Duration
}

// fullScene is a scene showing one source full frame.
func fullScene(name string, src int) sceneRef { return sceneRef{name: name, srcs: []int{src}} }

func newSceneSwitcher(f source.Format, sources []*programSource, refs []sceneRef) (_ *sceneSwitcher, err error) {
	w := &sceneSwitcher{format: f, sources: sources, from: -1, meterMaster: true,
		handout: source.NewHandout(), mixer: audiomix.New(f.Channels, len(sources))}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	if w.black, err = source.BlackPicture(f); err != nil {
		return nil, err
	}
	if w.canvas, err = source.BlackPicture(f); err != nil {
		return nil, err
	}
	if w.fadeOut, err = source.BlackPicture(f); err != nil {
		return nil, err
	}
	if w.mixed, err = source.SilentBlock(f); err != nil {
		return nil, err
	}
	w.inputs = make([]audiomix.Input, len(sources))
	w.minus = make([][][]float32, len(sources))
	w.blocks = make([][]float32, len(sources)*f.Channels)
	w.planes = make([][]float32, f.Channels)
	for _, r := range refs {
		if err := w.addScene(r); err != nil {
			return nil, err
		}
	}
	if len(w.scenes) > 0 {
		w.putOnAir()
	}
	return w, nil
}

// addScene adds a scene after the others.
func (w *sceneSwitcher) addScene(r sceneRef) error {
	f := w.format
	full := composite.Rect{W: f.Width, H: f.Height}
	sc := &scene{name: r.name, srcs: r.srcs, layers: r.layers, fade: r.fade, pics: make([]*astiav.Frame, len(r.srcs))}
	l := sc.layers
	// One opaque layer over the whole frame hides the background: the
	// source's picture goes out as it is.
	sc.full = len(l) == 0 || len(l) == 1 && l[0].Rect == full && l[0].Crop == (composite.Crop{}) && l[0].Opacity == 1
	if !sc.full {
		var err error
		if sc.comp, err = composite.New(composite.Options{Width: f.Width, Height: f.Height,
			Background: r.background, BackgroundImage: r.image}); err != nil {
			return fmt.Errorf("scene %q: %w", r.name, err)
		}
	}
	w.scenes = append(w.scenes, sc)
	return nil
}

// down says whether a source has ended or failed for good.
func (ps *programSource) down() bool {
	st := ps.state.Load()
	return st == stats.SourceEnded || st == stats.SourceError
}

// Format implements source.Source.
func (w *sceneSwitcher) Format() source.Format { return w.format }

// CorruptPackets implements source.Source: the sum over every source.
func (w *sceneSwitcher) CorruptPackets() int64 {
	var n int64
	for _, ps := range w.sources {
		n += ps.src.CorruptPackets()
	}
	return n
}

// Close implements source.Source.
func (w *sceneSwitcher) Close() {
	w.closeReturns()
	for _, ps := range w.sources {
		ps.close()
	}
	for _, sc := range w.scenes {
		if sc.comp != nil {
			sc.comp.Close()
		}
	}
	w.handout.Free()
	for _, f := range []*astiav.Frame{w.black, w.canvas, w.fadeOut, w.mixed} {
		if f != nil {
			f.Free()
		}
	}
}

// Switch asks for scene i; Read puts it on air with the next frame.
func (w *sceneSwitcher) Switch(i int) error {
	if i < 0 || i >= len(w.scenes) {
		return fmt.Errorf("no scene %d (there are %d)", i+1, len(w.scenes))
	}
	w.want.Store(int32(i))
	return nil
}

// Active is the scene on air (or asked for).
func (w *sceneSwitcher) Active() int { return int(w.want.Load()) }

// putOnAir marks the sources of the active scene (and of the one fading
// out) on air: those coming on are told to rejoin the present and are
// restamped onto the program's timeline; those going off pause.
func (w *sceneSwitcher) putOnAir() {
	on := make([]bool, len(w.sources)) // a scene switch, not per frame
	for _, i := range w.scenes[w.active].srcs {
		on[i] = true
	}
	if w.from >= 0 {
		for _, i := range w.scenes[w.from].srcs {
			on[i] = true
		}
	}
	for i, fd := range w.sources {
		switch {
		case on[i] && !fd.onAir:
			fd.onAir, fd.rebaseV, fd.rebaseA = true, true, true
			if r, ok := fd.src.(source.Rejoiner); ok && fd.started {
				r.Rejoin()
			}
			if !fd.down() {
				fd.state.Store(stats.SourceLive)
			}
		case !on[i] && fd.onAir:
			fd.onAir = false
			fd.pics.clear()
			fd.blocks.clear()
			if fd.state.Load() == stats.SourceLive {
				fd.state.Store(stats.SourceStandby)
			}
		}
	}
}

// switchScene starts the switch to the scene asked for: a cut, or a fade
// from the scene on air.
func (w *sceneSwitcher) switchScene(want int) {
	next := w.scenes[want]
	w.from = -1
	if next.fade > 0 {
		w.from = w.active
		w.fadeStart, w.fadeTime, w.fadeDur = w.nextV, w.format.VideoTime(w.nextV), next.fade
		w.fadeFrames = max(1, int64(next.fade.Seconds()*w.format.FrameRate.Float64()+0.5))
	}
	w.active = want
	w.putOnAir()
}

// Read implements source.Source: the program's next frame, audio or video,
// in time order.
func (w *sceneSwitcher) Read() (source.Frame, error) {
	if want := int(w.want.Load()); want != w.active {
		w.switchScene(want)
	}
	if w.from >= 0 && w.nextV >= w.fadeStart+w.fadeFrames {
		w.from = -1 // the fade is over
		w.putOnAir()
	}
	tv, ta := w.format.VideoTime(w.nextV), w.format.AudioTime(w.nextA)
	if ta < tv {
		return w.audio(ta)
	}
	return w.video(tv)
}

// video makes the program picture for frame nextV.
func (w *sceneSwitcher) video(tv time.Duration) (source.Frame, error) {
	alive := false
	for _, fd := range w.sources {
		if !fd.onAir {
			continue
		}
		if err := w.fill(fd, true, w.nextV); err != nil {
			return source.Frame{}, err
		}
		fd.pickPicture(w.nextV)
		alive = alive || !fd.down()
	}
	if !alive && !w.holdOnEnd {
		return source.Frame{}, io.EOF // a headless run ends with its sources
	}
	pic, err := w.compose(w.scenes[w.active], w.canvas)
	if err != nil {
		return source.Frame{}, err
	}
	if w.from >= 0 {
		out, err := w.compose(w.scenes[w.from], w.fadeOut)
		if err != nil {
			return source.Frame{}, err
		}
		if err := av.MakeWritable(w.canvas); err != nil {
			return source.Frame{}, fmt.Errorf("fade: %w", err)
		}
		t := float64(w.nextV-w.fadeStart+1) / float64(w.fadeFrames)
		if err := composite.Blend(w.canvas, out, pic, min(t, 1)); err != nil {
			return source.Frame{}, fmt.Errorf("fade: %w", err)
		}
		pic = w.canvas
	} else if w.scenes[w.active].full {
		// A second reference: the program's filters copy it before
		// drawing, so a held picture never collects their drawings.
		pic = w.handout.Of(pic)
	}
	pic.SetPts(w.nextV)
	fr := source.Frame{Kind: media.Video, AV: pic, PTS: w.nextV, Time: tv}
	w.nextV++
	return fr, nil
}

// compose draws scene sc into dst, or, for a full-frame scene, returns the
// source's picture itself (black before it has one), not to be written.
func (w *sceneSwitcher) compose(sc *scene, dst *astiav.Frame) (*astiav.Frame, error) {
	if sc.full {
		if pic := w.sources[sc.srcs[0]].picture(); pic != nil {
			return pic, nil
		}
		return w.black, nil
	}
	if err := av.MakeWritable(dst); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	for i, s := range sc.srcs {
		sc.pics[i] = w.sources[s].picture()
	}
	if err := sc.comp.Compose(dst, sc.layers, sc.pics); err != nil {
		return nil, fmt.Errorf("compose scene %q: %w", sc.name, err)
	}
	return dst, nil
}

// fill reads fd's source until it holds a picture (video) or an audio
// block at or past position want, or the source is down.
func (w *sceneSwitcher) fill(fd *programSource, video bool, want int64) error {
	ring := &fd.blocks
	if video {
		ring = &fd.pics
	}
	for !fd.down() {
		if pts, ok := ring.newest(); ok && pts >= want {
			return nil
		}
		fr, err := fd.src.Read()
		fd.started = true
		if err != nil {
			if errors.Is(err, io.EOF) {
				fd.state.Store(stats.SourceEnded)
				return nil
			}
			fd.state.Store(stats.SourceError)
			fd.errMsg.Store(err.Error())
			if w.holdOnEnd {
				return nil
			}
			return err
		}
		if err := w.take(fd, fr); err != nil {
			return err
		}
	}
	return nil
}

// take restamps a frame read from fd's source onto the program timeline,
// runs the source's filters over it and keeps it.
func (w *sceneSwitcher) take(fd *programSource, fr source.Frame) error {
	ps := fd
	switch fr.Kind {
	case media.Video:
		if fd.rebaseV {
			fd.offV, fd.rebaseV = w.nextV-fr.PTS, false
		}
		fr.PTS += fd.offV
		ps.frames.Add(1)
		if fd.offV != 0 {
			fr.AV.SetPts(fr.PTS)
			fr.Time = w.format.VideoTime(fr.PTS)
		}
		if err := ps.chain.Video(fr.AV, fr.Time); err != nil {
			return err
		}
		return fd.pics.push(fr.AV, fr.PTS)
	case media.Audio:
		if fd.rebaseA {
			fd.offA, fd.rebaseA = w.nextA-fr.PTS, false
		}
		fr.PTS += fd.offA
		if fd.offA != 0 {
			fr.AV.SetPts(fr.PTS)
		}
		if err := ps.chain.Audio(fr.AV); err != nil {
			return err
		}
		return fd.blocks.push(fr.AV, fr.PTS)
	}
	return nil
}
