package pipeline

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/asticode/go-astiav"

	"studio/filters/chain"
	"studio/internal/av"
	"studio/pipeline/source"
	"studio/pipeline/stats"
)

// fader is a gain stage with a mute and two meters over what passes it:
// one read by the once-a-second stats, one by the console several times a
// second. A source has one, and so has the master.
type fader struct {
	gainBits atomic.Uint64 // float64 dB
	panBits  atomic.Uint64 // float32 −1..1 (0: centre)
	muted    atomic.Bool

	mu         sync.Mutex
	stat, live levelMeter
}

func (f *fader) gainDB() float64 { return math.Float64frombits(f.gainBits.Load()) }

func (f *fader) pan() float32 { return float32(math.Float64frombits(f.panBits.Load())) }

// setPan sets the balance, clamped to −1 (left) .. 1 (right).
func (f *fader) setPan(p float64) error {
	if math.IsNaN(p) {
		return errors.New("pan is not a number")
	}
	f.panBits.Store(math.Float64bits(min(max(p, -1), 1)))
	return nil
}

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

// programSource is one named source with its fader, filters and reading
// state.
type programSource struct {
	fader
	feed
	name, kind string
	src        source.Source
	chain      *chain.Chain

	frames atomic.Int64 // video frames delivered
	state  atomic.Value // string
	errMsg atomic.Value // string
}

func newProgramSource(name, kind string, src source.Source) *programSource {
	ps := &programSource{name: name, kind: kind, src: src, feed: newFeed()}
	ps.state.Store(stats.SourceStandby)
	ps.errMsg.Store("")
	return ps
}

// close frees the source, its filters and what it has read ahead.
func (ps *programSource) close() {
	ps.feed.free()
	ps.src.Close()
	if ps.chain != nil {
		ps.chain.Close()
	}
}

// linear is the amplitude factor of a gain in dB (0 when muted).
func linear(db float64, muted bool) float32 {
	if muted {
		return 0
	}
	return float32(math.Pow(10, db/20))
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
