package pipeline

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/asticode/go-astiav"

	"studio/filters/chain"
	"studio/internal/av"
	"studio/pipeline/media"
	"studio/pipeline/source"
	"studio/pipeline/stats"
)

// fader is a gain stage with a mute and two meters over what passes it:
// one read by the once-a-second stats, one by the console several times a
// second. A source has one, and so has the master.
type fader struct {
	gainBits atomic.Uint64 // float64 dB
	muted    atomic.Bool

	mu         sync.Mutex
	stat, live levelMeter
}

func (f *fader) gainDB() float64 { return math.Float64frombits(f.gainBits.Load()) }

// setGain sets the gain in dB, clamped to stats.MinGainDB..MaxGainDB.
func (f *fader) setGain(db float64) error {
	if math.IsNaN(db) {
		return errors.New("gain is not a number")
	}
	f.gainBits.Store(math.Float64bits(min(max(db, stats.MinGainDB), stats.MaxGainDB)))
	return nil
}

// meter feeds a measured frame to both meters.
func (f *fader) meter(m levelMeter) {
	f.mu.Lock()
	f.stat.merge(m)
	f.live.merge(m)
	f.mu.Unlock()
}

// reading takes (and resets) the live or the stats meter.
func (f *fader) reading(name string, live bool) (stats.AudioSource, bool) {
	f.mu.Lock()
	m := &f.stat
	if live {
		m = &f.live
	}
	peak, rms, measured := m.take()
	f.mu.Unlock()
	return stats.AudioSource{Name: name, PeakDBFS: peak, RMSDBFS: rms, Muted: f.muted.Load(), GainDB: f.gainDB()}, measured
}

// programSource is one named source with its fader and filters.
type programSource struct {
	fader
	name, kind string
	src        source.Source
	chain      *chain.Chain

	frames atomic.Int64 // video frames delivered
	state  atomic.Value // string
	errMsg atomic.Value // string
}

func newProgramSource(name, kind string, src source.Source) *programSource {
	ps := &programSource{name: name, kind: kind, src: src}
	ps.state.Store(stats.SourceStandby)
	ps.errMsg.Store("")
	return ps
}

// linear is the amplitude factor of a gain in dB (0 when muted).
func linear(db float64, muted bool) float32 {
	if muted {
		return 0
	}
	return float32(math.Pow(10, db/20))
}

// sceneSwitcher is the program's source: it reads the active scene's source
// and keeps the program timeline continuous across switches. Sources not on
// air are not read: a file or test pattern is paused, which costs nothing
// while it waits; a capture keeps capturing (its device runs in real time)
// and rejoins the present when it comes back on air.
//
// Audio and video are restamped separately so that each continues exactly
// where the program left off (the next frame number, the next sample); a
// source's own audio and video were within one frame of each other when it
// went on air, so they stay so.
type sceneSwitcher struct {
	format  source.Format
	sources []*programSource
	scenes  []sceneRef

	want   atomic.Int32 // scene asked for (any goroutine)
	active int          // scene on air (Read's goroutine only)

	// Restamping state (Read's goroutine only).
	offV, offA       int64
	nextV, nextA     int64
	rebaseV, rebaseA bool

	// holdOnEnd (the console): when the source on air ends or fails, the
	// program goes on with its last picture and silence, so the stream and
	// the recording continue and the streamer can switch scenes.
	holdOnEnd bool
	last      *astiav.Frame // a reference to the newest picture (black at first)
	silence   *astiav.Frame
	handout   *source.Handout // last and silence go out through it

	master fader
	// meterMaster: mix feeds the master's meter. Off when the program has
	// audio filters of its own: the engine meters after them.
	meterMaster bool
}

// sceneRef is a scene and the index of its source.
type sceneRef struct {
	name string
	src  int
}

func newSceneSwitcher(sources []*programSource, scenes []sceneRef) *sceneSwitcher {
	w := &sceneSwitcher{format: sources[0].src.Format(), sources: sources, scenes: scenes, meterMaster: true}
	w.sources[scenes[0].src].state.Store(stats.SourceLive)
	return w
}

// holdWhenDown makes the switcher keep the program going when the source
// on air ends or fails (see holdOnEnd). It allocates the black picture and
// the silence it starts from.
func (w *sceneSwitcher) holdWhenDown() error {
	var err error
	if w.last, err = source.BlackPicture(w.format); err != nil {
		return err
	}
	if w.silence, err = source.SilentBlock(w.format); err != nil {
		return err
	}
	w.handout = source.NewHandout()
	w.holdOnEnd = true
	return nil
}

// down says whether a source has ended or failed for good.
func (ps *programSource) down() bool {
	st := ps.state.Load()
	return st == stats.SourceEnded || st == stats.SourceError
}

// hold gives the next program frame while the source on air is down: the
// last picture again, or a block of silence, whichever is due first, each
// through the handout, so that the program's filters never draw into them.
func (w *sceneSwitcher) hold() (source.Frame, error) {
	tv, ta := w.format.VideoTime(w.nextV), w.format.AudioTime(w.nextA)
	if ta < tv {
		silence := w.handout.Of(w.silence)
		fr := source.Frame{Kind: media.Audio, AV: silence, PTS: w.nextA, Time: ta}
		silence.SetPts(w.nextA)
		w.nextA += source.AudioFrameSamples
		return fr, nil
	}
	pic := w.handout.Of(w.last)
	fr := source.Frame{Kind: media.Video, AV: pic, PTS: w.nextV, Time: tv}
	pic.SetPts(w.nextV)
	w.nextV++
	return fr, nil
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
	for _, ps := range w.sources {
		ps.src.Close()
		if ps.chain != nil {
			ps.chain.Close()
		}
	}
	w.handout.Free()
	for _, f := range []*astiav.Frame{w.last, w.silence} {
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

// Read implements source.Source.
func (w *sceneSwitcher) Read() (source.Frame, error) {
	if want := int(w.want.Load()); want != w.active {
		prev, next := w.sources[w.scenes[w.active].src], w.sources[w.scenes[want].src]
		w.active = want
		if prev != next {
			if prev.state.Load() == stats.SourceLive {
				prev.state.Store(stats.SourceStandby)
			}
			if r, ok := next.src.(source.Rejoiner); ok {
				r.Rejoin()
			}
			w.rebaseV, w.rebaseA = true, true
		}
	}
	ps := w.sources[w.scenes[w.active].src]
	if w.holdOnEnd && ps.down() {
		return w.hold()
	}
	fr, err := ps.src.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			ps.state.Store(stats.SourceEnded)
		} else {
			ps.state.Store(stats.SourceError)
			ps.errMsg.Store(err.Error())
		}
		if w.holdOnEnd {
			return w.hold()
		}
		return fr, err
	}
	if st := ps.state.Load(); st != stats.SourceLive {
		ps.state.Store(stats.SourceLive)
	}
	switch fr.Kind {
	case media.Video:
		if w.rebaseV {
			w.offV, w.rebaseV = w.nextV-fr.PTS, false
		}
		fr.PTS += w.offV
		w.nextV = fr.PTS + 1
		ps.frames.Add(1)
		if w.offV != 0 {
			fr.AV.SetPts(fr.PTS)
			fr.Time = w.format.VideoTime(fr.PTS)
		}
		if err := ps.chain.Video(fr.AV, fr.Time); err != nil {
			return fr, err
		}
		if w.holdOnEnd {
			// Keep the picture for hold; a reference, not a copy.
			w.last.Unref()
			if err := w.last.Ref(fr.AV); err != nil {
				return fr, fmt.Errorf("hold picture: %w", err)
			}
		}
	case media.Audio:
		if w.rebaseA {
			w.offA, w.rebaseA = w.nextA-fr.PTS, false
		}
		fr.PTS += w.offA
		w.nextA = fr.PTS + int64(fr.AV.NbSamples())
		if w.offA != 0 {
			fr.AV.SetPts(fr.PTS)
			fr.Time = w.format.AudioTime(fr.PTS)
		}
		if err := ps.chain.Audio(fr.AV); err != nil {
			return fr, err
		}
		if err := w.mix(ps, fr.AV); err != nil {
			return fr, err
		}
	}
	return fr, nil
}

// mix applies the source's fader and the master's to f in place and feeds
// the meters: a source's meter reads after its gain and before its mute (a
// muted microphone still shows that it hears you), the master's reads what
// is encoded.
func (w *sceneSwitcher) mix(ps *programSource, f *astiav.Frame) error {
	srcGain := linear(ps.gainDB(), false)
	master := linear(w.master.gainDB(), w.master.muted.Load())
	muted := ps.muted.Load() // read once: the frame is made writable for what is read here
	if srcGain != 1 || muted || master != 1 {
		if err := av.MakeWritable(f); err != nil {
			return err
		}
	}
	ch := w.format.Channels
	if srcGain != 1 {
		scale(f, ch, srcGain)
	}
	// One pass measures the frame; the master's reading is the same one
	// scaled, as the samples are.
	m := measure(f, ch)
	ps.meter(m)
	total := master
	if muted {
		total = 0
	}
	if total != 1 {
		scale(f, ch, total)
		m.scale(total)
	}
	if w.meterMaster {
		w.master.meter(m)
	}
	return nil
}

// scale multiplies every sample of a planar-float frame by g.
func scale(f *astiav.Frame, channels int, g float32) {
	for c := 0; c < channels; c++ {
		s := av.PlanarFloat(f, c)
		for i := range s {
			s[i] *= g
		}
	}
}

// MasterName is the name SetMute and SetGain take for the master fader.
const MasterName = stats.MasterName

// fader returns the fader of a source by name, or the master's.
func (w *sceneSwitcher) fader(name string) (*fader, error) {
	if name == MasterName {
		return &w.master, nil
	}
	for _, ps := range w.sources {
		if ps.name == name {
			return &ps.fader, nil
		}
	}
	return nil, fmt.Errorf("no audio source %q", name)
}

// setMute mutes or unmutes a source or the master.
func (w *sceneSwitcher) setMute(name string, muted bool) error {
	f, err := w.fader(name)
	if err != nil {
		return err
	}
	f.muted.Store(muted)
	return nil
}

// setGain sets a source's or the master's gain in dB, clamped to
// stats.MinGainDB..MaxGainDB.
func (w *sceneSwitcher) setGain(name string, db float64) error {
	f, err := w.fader(name)
	if err != nil {
		return err
	}
	return f.setGain(db)
}

// levels reads (and resets) one meter per source plus the master's: the
// live ones for the console, or the stats ones. measured is false when no
// audio reached the master since the last take.
func (w *sceneSwitcher) levels(dst []stats.AudioSource, live bool) (_ []stats.AudioSource, master stats.AudioSource, measured bool) {
	dst = dst[:0]
	for _, ps := range w.sources {
		r, _ := ps.reading(ps.name, live)
		dst = append(dst, r)
	}
	master, measured = w.master.reading(MasterName, live)
	return dst, master, measured
}
