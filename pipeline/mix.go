package pipeline

import (
	"fmt"
	"io"
	"time"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
	"studio/pipeline/media"
	"studio/pipeline/output"
	"studio/pipeline/source"
)

// returnFeed is one guest's mix-minus: the program's sound without that
// guest, encoded and pushed to the guest's return URL.
type returnFeed struct {
	src   int // the guest's source
	feed  *output.AudioFeed
	block *astiav.Frame // the bus's block handed to the feed
}

// audio makes the program's audio block at sample nextA: every source on
// air read up to it, mixed through the faders (and the fade between scenes),
// and each guest's mix-minus pushed to its return feed.
func (w *sceneSwitcher) audio(ta time.Duration) (source.Frame, error) {
	ch := w.format.Channels
	alive := false
	masterGain := linear(w.master.gainDB(), w.master.muted.Load())
	for i, fd := range w.sources {
		in := &w.inputs[i]
		in.Samples = nil
		if !fd.onAir {
			continue
		}
		if err := w.fill(fd, false, w.nextA); err != nil {
			return source.Frame{}, err
		}
		alive = alive || !fd.down()
		b := fd.block(w.nextA)
		if b == nil {
			continue
		}
		planes := w.blocks[i*ch : (i+1)*ch : (i+1)*ch]
		for c := range planes {
			planes[c] = av.PlanarFloat(b, c)
		}
		gain := linear(fd.gainDB(), false)
		// A source's meter reads after its gain and before its mute: a
		// muted microphone still shows that it hears you.
		m := measure(b, ch)
		m.scale(gain)
		fd.meter(m)
		if fd.muted.Load() {
			gain = 0
		}
		in.Samples, in.Gain, in.Pan = planes, gain*w.fadeWeight(i, ta), fd.pan()
	}
	if !alive && !w.holdOnEnd {
		return source.Frame{}, io.EOF // a headless run ends with its sources
	}
	if err := av.MakeWritable(w.mixed); err != nil {
		return source.Frame{}, fmt.Errorf("mix: %w", err)
	}
	for c := range w.planes {
		w.planes[c] = av.PlanarFloat(w.mixed, c)
	}
	for _, r := range w.returns {
		if err := av.MakeWritable(r.block); err != nil {
			return source.Frame{}, fmt.Errorf("mix-minus: %w", err)
		}
		planes := w.minus[r.src][:0]
		for c := 0; c < ch; c++ {
			planes = append(planes, av.PlanarFloat(r.block, c))
		}
		w.minus[r.src] = planes
	}
	w.mixer.Mix(w.inputs, w.planes, w.minus)
	if masterGain != 1 {
		scale(w.mixed, ch, masterGain)
	}
	if w.meterMaster {
		w.master.meter(measure(w.mixed, ch))
	}
	for _, r := range w.returns {
		r.block.SetPts(w.nextA)
		// Write fails only for a stopped feed (the run is ending) or a
		// block of the wrong shape (never here): the program goes on.
		_ = r.feed.Write(r.block)
	}
	w.mixed.SetPts(w.nextA)
	fr := source.Frame{Kind: media.Audio, AV: w.mixed, PTS: w.nextA, Time: ta}
	w.nextA += source.AudioFrameSamples
	return fr, nil
}

// fadeWeight is how much of source i is heard at time t: during a fade,
// a source only in the scene going off fades out, one only in the scene
// coming on fades in; otherwise all of it.
func (w *sceneSwitcher) fadeWeight(i int, t time.Duration) float32 {
	if w.from < 0 {
		return 1
	}
	inOld, inNew := w.scenes[w.from].shows(i), w.scenes[w.active].shows(i)
	if inOld == inNew {
		return 1
	}
	p := float32(min(max(float64(t-w.fadeTime)/float64(w.fadeDur), 0), 1))
	if inNew {
		return p
	}
	return 1 - p
}

// shows says whether the scene has source i on one of its layers.
func (sc *scene) shows(i int) bool {
	for _, s := range sc.srcs {
		if s == i {
			return true
		}
	}
	return false
}

// addReturn gives guest source src a mix-minus feed.
func (w *sceneSwitcher) addReturn(src int, feed *output.AudioFeed) error {
	b, err := source.SilentBlock(w.format)
	if err != nil {
		return err
	}
	w.returns = append(w.returns, &returnFeed{src: src, feed: feed, block: b})
	w.minus[src] = make([][]float32, 0, w.format.Channels)
	return nil
}

// closeReturns frees the mix-minus blocks (the engine stops the feeds).
func (w *sceneSwitcher) closeReturns() {
	for _, r := range w.returns {
		r.block.Free()
		r.feed.Close()
	}
	w.returns = nil
}
