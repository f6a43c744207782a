package output

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/pipeline/encode"
	"studio/pipeline/media"
	"studio/presets"
)

func TestPartPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		n    int
		want string
	}{
		{"show.flv", 1, "show-001.flv"},
		{"show.flv", 2, "show-002.flv"},
		{"/rec/show.MKV", 12, "/rec/show-012.MKV"},
		{"show", 3, "show-003"},
		{"a.b/show.x.mkv", 1000, "a.b/show.x-1000.mkv"},
	} {
		require.Equal(t, tc.want, PartPath(tc.path, tc.n))
	}
}

// Without a split a recording is one file at its path, in the format its
// options or its name say.
func TestRecordingOneFile(t *testing.T) {
	h, pkts := encodedStream(t, 30)
	defer releaseAll(pkts)
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path, format, want string
	}{
		{"flv by name", "a.flv", "", "flv"},
		{"mkv by name", "b.mkv", "", "matroska"},
		{"mkv by name, any case", "c.MKV", "", "matroska"},
		{"other names are flv", "d.rec", "", "flv"},
		{"format wins over the name", "e.flv", presets.FormatMKV, "matroska"},
		{"flv named .mkv", "f.mkv", presets.FormatFLV, "flv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.path)
			r := NewRecording(path, RecordOptions{Format: tc.format})
			require.Equal(t, path, r.Path())
			require.NoError(t, r.Open(context.Background(), h))
			for _, p := range pkts {
				require.NoError(t, r.Write(p))
			}
			require.NoError(t, r.Close())
			require.NoError(t, r.Close())
			require.Equal(t, 1, r.Parts())
			p := testpeer.FFprobe(t, path)
			require.Contains(t, p.Format.FormatName, tc.want)
			require.Equal(t, 30, p.Video.NbFrames)
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, st.Size(), r.BytesWritten())

			// Never opened twice: that would truncate the file.
			err = r.Open(context.Background(), h)
			var perm *PermanentError
			require.ErrorAs(t, err, &perm)
			require.ErrorContains(t, err, "not reopened")
			st2, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, st.Size(), st2.Size())
		})
	}
	r := NewRecording(filepath.Join(dir, "g.mp4"), RecordOptions{Format: "mp4"})
	require.ErrorContains(t, r.Open(context.Background(), h), `unknown format "mp4"`)
	require.NoError(t, r.Close())
	require.NoFileExists(t, filepath.Join(dir, "g.mp4"))
}

func TestRecordingSplits(t *testing.T) {
	h, pkts := encodedStream(t, 300) // 10 s, keyframes every 2 s
	defer releaseAll(pkts)
	for _, format := range []string{presets.FormatFLV, presets.FormatMKV} {
		t.Run(format+" by time", func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "show."+format)
			r := NewRecording(base, RecordOptions{SplitTime: 4 * time.Second})
			require.Equal(t, PartPath(base, 1), r.Path(), "the first name is known before Open")
			cuts := writeSplit(t, r, h, pkts)
			// Parts start at the keyframes at 0.1, 4.1 and 8.1 s.
			require.Equal(t, []time.Duration{4100 * time.Millisecond, 8100 * time.Millisecond}, cuts)
			requireSplitParts(t, r, base, 3, pkts, cuts)
		})
		t.Run(format+" by size", func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "show."+format)
			const limit = 100_000 // about 1.6 s at 500 kb/s
			r := NewRecording(base, RecordOptions{SplitSize: limit})
			cuts := writeSplit(t, r, h, pkts)
			require.GreaterOrEqual(t, len(cuts), 2)
			t.Logf("cuts at %v", cuts)
			requireSplitParts(t, r, base, len(cuts)+1, pkts, cuts)
			for n := 1; n <= len(cuts); n++ {
				st, err := os.Stat(PartPath(base, n))
				require.NoError(t, err)
				require.GreaterOrEqual(t, st.Size(), int64(limit), "part %d was split before its size", n)
				require.Less(t, st.Size(), int64(limit+2*70_000), "part %d went on past the next keyframe", n)
			}
		})
	}
}

// writeSplit writes pkts to r and returns the program times (PTS) of the
// keyframes that started a new part.
func writeSplit(t *testing.T, r *Recording, h media.StreamHeader, pkts []*media.Packet) []time.Duration {
	t.Helper()
	require.NoError(t, r.Open(context.Background(), h))
	var cuts []time.Duration
	var total int64
	for _, p := range pkts {
		parts := r.Parts()
		require.NoError(t, r.Write(p))
		if r.Parts() != parts {
			require.True(t, p.Kind == media.Video && p.Key, "a part starts at a keyframe")
			require.Equal(t, PartPath(r.path, r.Parts()), r.Path())
			cuts = append(cuts, p.PTS)
		}
		require.GreaterOrEqual(t, r.BytesWritten(), total, "bytes only grow")
		total = r.BytesWritten()
	}
	require.NoError(t, r.Close())
	return cuts
}

// requireSplitParts checks the parts of a split recording of pkts: each a
// playable file of its own that starts with a keyframe at StartOffset;
// together, every packet exactly once at its own time, with the audio in
// the part whose pictures it plays with.
func requireSplitParts(t *testing.T, r *Recording, base string, n int, pkts []*media.Packet, cuts []time.Duration) {
	t.Helper()
	require.Equal(t, n, r.Parts())
	require.NoFileExists(t, base, "a split recording writes parts only")
	require.NoFileExists(t, PartPath(base, n+1))
	starts := append([]time.Duration{encode.StartOffset}, cuts...)
	var got []string
	var size int64
	for i := range n {
		path := PartPath(base, i+1)
		st, err := os.Stat(path)
		require.NoError(t, err)
		size += st.Size()
		requireProbedAV(t, path)
		require.Empty(t, testpeer.DecodeErrors(t, path), "part %d decodes", i+1)
		pp := probePackets(t, path)
		require.True(t, pp[0].video && pp[0].key, "part %d starts with a keyframe", i+1)
		minV, minA, maxA := math.Inf(1), math.Inf(1), math.Inf(-1)
		for _, p := range pp {
			if p.video {
				minV = min(minV, p.pts)
			} else {
				minA, maxA = min(minA, p.pts), max(maxA, p.pts)
			}
		}
		require.InDelta(t, encode.StartOffset.Seconds(), minV, 0.0011, "part %d: first picture at StartOffset", i+1)
		// Back to program time: this part starts at starts[i].
		shift := roundMs(starts[i] - encode.StartOffset)
		if i > 0 {
			// Audio starts with the part's first picture.
			require.GreaterOrEqual(t, int64(math.Round(minA*1000))+shift, roundMs(cuts[i-1]), "part %d: audio before its first picture", i+1)
		}
		if i+1 < n {
			// Audio stops where the next part's pictures start.
			require.Less(t, int64(math.Round(maxA*1000))+shift, roundMs(cuts[i]), "part %d: audio past its last picture", i+1)
		}
		for _, p := range pp {
			got = append(got, packetKey(p.video, int64(math.Round(p.pts*1000))+shift, p.key))
		}
	}
	var want []string
	for _, p := range pkts {
		want = append(want, packetKey(p.Kind == media.Video, roundMs(p.PTS), p.Key || p.Kind == media.Audio))
	}
	require.ElementsMatch(t, want, got, "every packet once, at its own time")
	require.Equal(t, size, r.BytesWritten(), "bytes of all parts")

	// With B-frames, some audio comes after the cut keyframe in decode
	// order but plays before it: the test must see that case.
	late := 0
	for _, cut := range cuts {
		afterKey := false
		for _, p := range pkts {
			if p.Kind == media.Video && p.PTS == cut {
				afterKey = true
			}
			if afterKey && p.Kind == media.Audio && p.PTS < cut {
				late++
			}
		}
	}
	require.Positive(t, late, "no audio between a cut keyframe's decode and presentation times")
}

// An output that joins late and splits: every part starts at StartOffset.
func TestRecordingSplitJoinedLate(t *testing.T) {
	h, pkts := encodedStream(t, 180)
	defer releaseAll(pkts)
	const joinedAt = 20 * time.Second
	for _, p := range pkts {
		p.DTS += joinedAt
		p.PTS += joinedAt
	}
	base := filepath.Join(t.TempDir(), "late.mkv")
	rec := NewRecording(base, RecordOptions{SplitTime: 2 * time.Second})
	o := New("recording", base, rec, DropPolicy{Limit: 30 * time.Second}, Policy{FirstTries: 1, RejectTries: 1}, t.Logf)
	o.JoinAt(encode.StartOffset)
	o.Start(context.Background(), h)
	for _, p := range pkts {
		p.Retain()
		o.Push(p)
	}
	require.True(t, o.Stop(5*time.Second))
	require.NoError(t, o.Err())
	require.Equal(t, 3, rec.Parts())
	for n := 1; n <= 3; n++ {
		p := testpeer.FFprobe(t, PartPath(base, n))
		require.InDelta(t, encode.StartOffset.Seconds(), p.Video.StartTime, 0.0011, "part %d", n)
		require.Equal(t, 60, p.Video.NbFrames, "part %d", n)
	}
}
