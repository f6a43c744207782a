// Package filters owns per-stream processing built on FFmpeg filter graphs:
// format conversion and scaling today, watermark/beauty/denoise later. A
// Graph is the one wrapper every filter stage uses, so graph set-up, frame
// flow and freeing live in one place.
package filters

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
)

// Graph is a configured FFmpeg filter graph with at most one buffer input and
// exactly one buffer sink. It is not safe for concurrent use.
type Graph struct {
	graph *astiav.FilterGraph
	src   *astiav.FilterContext // nil for generator graphs
	sink  *astiav.FilterContext
}

// NewGenerator builds a graph with no input, such as
// "testsrc2=size=1280x720:rate=30,format=yuv420p". audio selects abuffersink.
func NewGenerator(desc string, audio bool) (*Graph, error) {
	return build(desc, audio, nil)
}

// NewVideo builds buffer → desc → buffersink with the buffer's parameters
// taken from a decoded frame (the decoder context can lie about them).
func NewVideo(desc string, first *astiav.Frame, timeBase astiav.Rational) (*Graph, error) {
	sar := first.SampleAspectRatio()
	if sar.Num() == 0 {
		sar = astiav.NewRational(1, 1)
	}
	args := astiav.FilterArgs{
		"pix_fmt":      strconv.Itoa(int(first.PixelFormat())),
		"pixel_aspect": sar.String(),
		"time_base":    timeBase.String(),
		"video_size":   strconv.Itoa(first.Width()) + "x" + strconv.Itoa(first.Height()),
	}
	return build(desc, false, args)
}

// NewAudio builds abuffer → desc → abuffersink from a decoded frame.
func NewAudio(desc string, first *astiav.Frame, timeBase astiav.Rational) (*Graph, error) {
	layout := first.ChannelLayout()
	if !layout.Valid() || layout.NbChannels() == 0 {
		layout = astiav.ChannelLayoutStereo
	}
	args := astiav.FilterArgs{
		"channel_layout": layout.String(),
		"sample_fmt":     first.SampleFormat().Name(),
		"sample_rate":    strconv.Itoa(first.SampleRate()),
		"time_base":      timeBase.String(),
	}
	return build(desc, true, args)
}

func build(desc string, audio bool, srcArgs astiav.FilterArgs) (g *Graph, err error) {
	g = &Graph{graph: astiav.AllocFilterGraph()}
	if g.graph == nil {
		return nil, errors.New("filter graph: allocation failed")
	}
	// The error returns below set the named result to nil before this runs,
	// so free through a copy.
	built := g
	defer func() {
		if err != nil {
			built.Close()
		}
	}()
	// Keep filtering on the calling goroutine: the encoders already use the cores.
	g.graph.SetThreadCount(1)

	srcName, sinkName := "buffer", "buffersink"
	if audio {
		srcName, sinkName = "abuffer", "abuffersink"
	}
	if g.sink, err = g.graph.NewFilterContext(astiav.FindFilterByName(sinkName), "out", nil); err != nil {
		return nil, fmt.Errorf("filter graph: create %s: %w", sinkName, err)
	}
	inputs := astiav.AllocFilterInOut()
	defer inputs.Free()
	inputs.SetName("out")
	inputs.SetFilterContext(g.sink)
	inputs.SetPadIdx(0)
	inputs.SetNext(nil)

	var outputs *astiav.FilterInOut
	if srcArgs != nil {
		if g.src, err = g.graph.NewFilterContext(astiav.FindFilterByName(srcName), "in", srcArgs); err != nil {
			return nil, fmt.Errorf("filter graph: create %s (%s): %w", srcName, srcArgs, err)
		}
		outputs = astiav.AllocFilterInOut()
		defer outputs.Free()
		outputs.SetName("in")
		outputs.SetFilterContext(g.src)
		outputs.SetPadIdx(0)
		outputs.SetNext(nil)
	}
	if err = g.graph.Parse(desc, inputs, outputs); err != nil {
		return nil, fmt.Errorf("filter graph %q: %w", desc, err)
	}
	if err = g.graph.Configure(); err != nil {
		return nil, fmt.Errorf("filter graph %q: configure: %w", desc, err)
	}
	return g, nil
}

// Push feeds one frame into the graph; nil signals the end of input so that
// buffered frames can be drained with Pull.
func (g *Graph) Push(f *astiav.Frame) error {
	if g.src == nil {
		return errors.New("filter graph: generator graphs take no input")
	}
	return g.src.BuffersrcAddFrame(f, astiav.NewBuffersrcFlags(astiav.BuffersrcFlagKeepRef))
}

// Pull takes the next filtered frame into f. It returns astiav.ErrEagain when
// the graph needs more input and astiav.ErrEof once drained after a nil Push.
func (g *Graph) Pull(f *astiav.Frame) error {
	return av.BuffersinkGetFrame(g.sink, f)
}

// SendCommand sends a runtime command to the filters named target ("all"
// for every one), such as a new value of an option FFmpeg lists with the T
// flag: `hqdn3d` `luma_spatial` `6`. It changes a running graph between two
// frames, keeping what its filters remember.
func (g *Graph) SendCommand(target, cmd, arg string) error {
	if _, err := g.graph.SendCommand(target, cmd, arg, astiav.NewFilterCommandFlags()); err != nil {
		return fmt.Errorf("filter graph: %s %s=%s: %w", target, cmd, arg, err)
	}
	return nil
}

// Close frees the graph and its filter contexts.
func (g *Graph) Close() {
	if g.graph != nil {
		g.graph.Free()
		g.graph = nil
	}
}
