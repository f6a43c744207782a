package pipeline

import (
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/filters/composite"
	"studio/pipeline/media"
	"studio/pipeline/source"
)

// stillSource delivers the same picture and block forever, stamped in
// order: a source that costs nothing, so a benchmark measures the program.
type stillSource struct {
	f          source.Format
	pic, block *astiav.Frame
	v, a       int64
}

func newStillSource(tb testing.TB, f source.Format) *stillSource {
	pic, err := source.BlackPicture(f)
	require.NoError(tb, err)
	block, err := source.SilentBlock(f)
	require.NoError(tb, err)
	return &stillSource{f: f, pic: pic, block: block}
}

func (s *stillSource) Format() source.Format { return s.f }
func (s *stillSource) CorruptPackets() int64 { return 0 }
func (s *stillSource) Close()                { s.pic.Free(); s.block.Free() }
func (s *stillSource) Read() (source.Frame, error) {
	if ta, tv := s.f.AudioTime(s.a), s.f.VideoTime(s.v); ta < tv {
		fr := source.Frame{Kind: media.Audio, AV: s.block, PTS: s.a, Time: ta}
		s.block.SetPts(s.a)
		s.a += source.AudioFrameSamples
		return fr, nil
	}
	fr := source.Frame{Kind: media.Video, AV: s.pic, PTS: s.v, Time: s.f.VideoTime(s.v)}
	s.pic.SetPts(s.v)
	s.v++
	return fr, nil
}

// BenchmarkProgramFrame720p4Up is the program's own work per video frame
// (with the audio blocks due meanwhile) for a host+3 scene at 720p: four
// sources read ahead into their rings, composed, four blocks mixed.
func BenchmarkProgramFrame720p4Up(b *testing.B) {
	f := source.Format{Width: 1280, Height: 720, FrameRate: astiav.NewRational(30, 1), SampleRate: 48000, Channels: 2}
	var srcs []*programSource
	for _, n := range []string{"host", "g1", "g2", "g3"} {
		srcs = append(srcs, newProgramSource(n, "test", newStillSource(b, f)))
	}
	rects, err := composite.Layout("host+3", f.Width, f.Height, 4)
	require.NoError(b, err)
	w, err := newSceneSwitcher(f, srcs, []sceneRef{{name: "4up", layers: composite.LayersFor(rects), srcs: []int{0, 1, 2, 3}}})
	require.NoError(b, err)
	defer w.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for v := 0; v < b.N; {
		fr, err := w.Read()
		if err != nil {
			b.Fatal(err)
		}
		if fr.Kind == media.Video {
			v++
		}
	}
}
