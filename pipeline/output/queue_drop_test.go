package output

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/pipeline/media"
)

// frame is one synthetic H.264 access unit of a GOP with B-frames, in
// decode order, with the frames it refers to (by number).
type frame struct {
	num  int
	typ  byte // 'I', 'P', 'b' (disposable B)
	dts  time.Duration
	size int
	refs []int
}

// gop30 makes n frames at 30 fps in decode order with x264's veryfast
// shape: a keyframe every 60 frames, then P frames each followed by two
// disposable B-frames that refer to the reference before and after them.
func gop30(n int) []frame {
	const dur = time.Second / 30
	var out []frame
	lastRef := -1
	for i := 0; i < n; i++ {
		f := frame{num: i, dts: time.Duration(i) * dur}
		switch {
		case i%60 == 0:
			f.typ, f.size = 'I', 60_000
			lastRef = i
		case i%3 == 1:
			f.typ, f.size, f.refs = 'P', 12_000, []int{lastRef}
			lastRef = i
		default:
			f.typ, f.size, f.refs = 'b', 4_000, []int{lastRef - 3, lastRef}
			if lastRef-3 < i-i%60 { // the first Bs of a GOP refer to its keyframe
				f.refs = []int{lastRef}
			}
		}
		out = append(out, f)
	}
	return out
}

// packet builds the frame as Annex B with the NAL header x264 writes, so
// that media.NewPacket reads its priority as it would a real one.
func (f frame) packet() *media.Packet {
	hdr := map[byte]byte{'I': 0x65, 'P': 0x41, 'b': 0x01}[f.typ]
	data := make([]byte, f.size)
	copy(data, []byte{0, 0, 0, 1, hdr})
	for i := 5; i < len(data); i++ {
		data[i] = 0xa5
	}
	data[5], data[6] = byte(f.num>>8), byte(f.num) // which frame this is
	return media.NewPacket(media.Video, f.dts, f.dts, f.typ == 'I', data)
}

func frameNum(p *media.Packet) int { return int(p.Data[5])<<8 | int(p.Data[6]) }

func TestQueueShedsDisposableFramesAboveBThreshold(t *testing.T) {
	q := NewQueue(DropPolicy{BFrames: 700 * ms, PFrames: 900 * ms, Limit: 4 * time.Second})
	frames := gop30(27)             // 0..866 ms: I, then P b b ...
	for _, f := range frames[:22] { // up to 700 ms: nothing goes
		q.Push(f.packet())
	}
	require.Equal(t, frames[21].dts, q.Span()) // 700 ms, less a rounding
	require.Zero(t, q.Dropped())
	for _, f := range frames[22:] { // 733..866 ms
		q.Push(f.packet())
	}
	// Over 700 ms: every queued and incoming disposable B went; the
	// keyframe and the P-frames stay.
	var kept []byte
	for _, p := range drain(q) {
		kept = append(kept, frames[frameNum(p)].typ)
		p.Release()
	}
	require.Equal(t, "IPPPPPPPPP", string(kept))
	require.EqualValues(t, 17, q.Dropped())
}

func TestQueueKeepsOnlyKeyframesAbovePThreshold(t *testing.T) {
	q := NewQueue(DropPolicy{BFrames: 700 * ms, PFrames: 900 * ms, Limit: 4 * time.Second})
	frames := gop30(90) // two GOPs: keyframes at 0 and 2 s
	var audio int
	for i, f := range frames {
		q.Push(f.packet())
		if i%2 == 0 {
			q.Push(aud(f.dts + ms))
			audio++
		}
	}
	var kinds []string
	gotAudio := 0
	for _, p := range drain(q) {
		if p.Kind == media.Audio {
			gotAudio++
		} else {
			kinds = append(kinds, fmt.Sprintf("%c%d", frames[frameNum(p)].typ, frameNum(p)))
		}
		p.Release()
	}
	// Past 900 ms everything but keyframes went, queued P-frames included;
	// the second keyframe is admitted and the frames after it wait for
	// the span to fall (it does not: nothing is sent here).
	require.Equal(t, []string{"I0", "I60"}, kinds)
	require.Equal(t, audio, gotAudio, "audio is never dropped")
	require.EqualValues(t, 88, q.Dropped())
}

func drain(q *Queue) []*media.Packet {
	q.Close()
	var out []*media.Packet
	for {
		p, ok := q.Pop(context.Background())
		if !ok {
			return out
		}
		out = append(out, p)
	}
}

// TestQueueOverSlowLinkStaysDecodable runs 60 s of a 1.8 Mb/s stream into a
// link that carries half of it for 20 s: the queue stays near the
// thresholds, frames are dropped, and every frame that is sent can be
// decoded (all its references were sent before it).
func TestQueueOverSlowLinkStaysDecodable(t *testing.T) {
	q := NewQueue(DropPolicy{BFrames: 700 * ms, PFrames: 900 * ms, Limit: 4 * time.Second})
	frames := gop30(30 * 60)
	var bits int
	for _, f := range frames[:60] {
		bits += f.size * 8
	}
	rate := float64(bits) / 2 // bits per second of the stream
	linkRate := func(at time.Duration) float64 {
		if at >= 10*time.Second && at < 30*time.Second {
			return rate / 2
		}
		return rate * 2
	}
	var (
		sent       = map[int]bool{}
		busyUntil  time.Duration
		maxSpan    time.Duration
		undecoded  []int
		sentFrames int
	)
	next := 0
	const step = time.Millisecond
	// Pop returns what is queued before it looks at the context: a done
	// context makes it a pop that never waits.
	noWait, cancel := context.WithCancel(context.Background())
	cancel()
	for now := time.Duration(0); now < 62*time.Second; now += step {
		for next < len(frames) && frames[next].dts <= now {
			q.Push(frames[next].packet())
			next++
		}
		if now%(21*ms) == 0 && next < len(frames) {
			q.Push(aud(now))
		}
		maxSpan = max(maxSpan, q.Span())
		for busyUntil <= now {
			p, ok := q.Pop(noWait)
			if !ok {
				break
			}
			busyUntil = now + time.Duration(float64(len(p.Data)*8)/linkRate(now)*float64(time.Second))
			if p.Kind == media.Video {
				n := frameNum(p)
				for _, r := range frames[n].refs {
					if !sent[r] {
						undecoded = append(undecoded, n)
					}
				}
				sent[n] = true
				sentFrames++
			}
			p.Release()
		}
	}
	t.Logf("sent %d of %d frames, dropped %d, max span %v", sentFrames, len(frames), q.Dropped(), maxSpan)
	require.Empty(t, undecoded, "frames sent without their references")
	require.Positive(t, q.Dropped())
	require.EqualValues(t, len(frames), sentFrames+int(q.Dropped()), "every frame is sent or counted as dropped")
	// The queue is shed at 900 ms; what can still pile up behind it is what
	// arrives while the largest frame (a 60 kB keyframe) is on the wire.
	bound := 900*ms + time.Duration(60_000*8/(rate/2)*float64(time.Second)) + 100*ms
	require.LessOrEqual(t, maxSpan, bound, "the queue stays near the thresholds")
	for _, n := range []int{0, 60 * 5, 60 * 16, 60 * 29} { // keyframes before, during and after the squeeze
		require.True(t, sent[n], "keyframe %d", n)
	}
	for n := 40 * 30; n < 42*30; n++ { // long after the squeeze, nothing is lost
		require.True(t, sent[n], "frame %d after recovery", n)
	}
}

func TestQueuePauseThenResync(t *testing.T) {
	q := NewQueue(DropPolicy{BFrames: 700 * ms, PFrames: 900 * ms, Limit: 4 * time.Second})
	frames := gop30(130)
	q.Push(frames[0].packet())
	q.Push(aud(0))
	q.Pause() // the server went away: what is queued is gone
	require.Zero(t, q.Span())
	p := frames[1].packet()
	p.Retain()
	q.Push(p)
	requireReleasedOnce(t, p)
	q.Push(aud(40 * ms))

	q.Resync() // connected again: wait for a keyframe, sound from there on
	for _, f := range frames[2:61] {
		q.Push(aud(f.dts - ms)) // in DTS order, as the interleaver sends
		q.Push(f.packet())
	}
	got := drain(q)
	require.Len(t, got, 1, "only the keyframe at 2 s; the audio before it was held back")
	require.Equal(t, 60, frameNum(got[0]))
	got[0].Release()
	// Frames 2..59 waited for the keyframe; like the frames of the outage
	// they are the reconnect's gap, not congestion drops.
	require.Zero(t, q.Dropped(), "the wait for the keyframe is not counted as congestion")
	q.Push(frames[61].packet())
	q.Push(frames[62].packet())
	require.Zero(t, q.Dropped(), "once resynced frames flow")
}
