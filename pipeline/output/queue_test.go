package output

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/pipeline/media"
)

const ms = time.Millisecond

func vid(dts time.Duration, key bool) *media.Packet {
	return media.NewPacket(media.Video, dts, dts, key, []byte{0x65})
}

func aud(dts time.Duration) *media.Packet {
	return media.NewPacket(media.Audio, dts, dts, true, []byte{0x21})
}

// pkt describes a packet for table tests.
type pkt struct {
	kind media.Kind
	dts  time.Duration
	key  bool
}

func (p pkt) make() *media.Packet {
	return media.NewPacket(p.kind, p.dts, p.dts, p.key, []byte{byte(p.dts / ms)})
}

func popAll(t *testing.T, q *Queue) []pkt {
	t.Helper()
	var out []pkt
	for _, p := range drain(q) {
		out = append(out, pkt{p.Kind, p.DTS, p.Key})
		p.Release()
	}
	return out
}

// requireReleasedOnce checks that the queue dropped its reference to p: the
// test holds the only remaining one, so the second Release panics.
func requireReleasedOnce(t *testing.T, p *media.Packet) {
	t.Helper()
	p.Release()
	require.Panics(t, p.Release, "queue kept (or never had) its reference")
}

func TestQueueSpan(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []pkt
		want time.Duration
	}{
		{"empty", nil, 0},
		{"one packet", []pkt{{media.Video, 500 * ms, true}}, 0},
		{"video only", []pkt{{media.Video, 100 * ms, true}, {media.Video, 133 * ms, false}, {media.Video, 400 * ms, false}}, 300 * ms},
		{"mixed kinds", []pkt{{media.Audio, 0, true}, {media.Video, 40 * ms, true}, {media.Audio, 250 * ms, true}}, 250 * ms},
		{"newest older than oldest", []pkt{{media.Video, 900 * ms, true}, {media.Audio, 100 * ms, true}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := NewQueue(DropPolicy{Limit: 10 * time.Second})
			for _, p := range tc.in {
				q.Push(p.make())
			}
			require.Equal(t, tc.want, q.Span())
			require.Equal(t, 10*time.Second, q.Policy().Limit)
			require.Len(t, popAll(t, q), len(tc.in))
		})
	}
}

func TestQueueOverLimitDropsVideoUntilKeyframe(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: time.Second})
	// 0..1000 ms: span reaches exactly the limit, nothing dropped.
	for i := 0; i <= 10; i++ {
		q.Push(vid(time.Duration(i)*100*ms, i%10 == 0))
	}
	require.Equal(t, time.Second, q.Span())
	require.Zero(t, q.Dropped())
	// The span is not over the limit before this push, so it is admitted.
	q.Push(vid(1100*ms, false))
	require.Equal(t, 1100*ms, q.Span())
	require.Zero(t, q.Dropped())

	// Over the limit: new video is dropped (and released), audio kept.
	p := vid(1200*ms, false)
	p.Retain()
	q.Push(p)
	requireReleasedOnce(t, p)
	require.EqualValues(t, 1, q.Dropped())
	q.Push(aud(1210 * ms))
	require.EqualValues(t, 1, q.Dropped(), "audio is never counted as dropped")
	require.Equal(t, 1210*ms, q.Span(), "audio was queued")
	q.Push(vid(1300*ms, true)) // a keyframe while still over: dropped
	require.EqualValues(t, 2, q.Dropped())

	// Drain to well under the limit: non-key video is still refused.
	for i := 0; i < 10; i++ {
		p, ok := q.Pop(context.Background())
		require.True(t, ok)
		p.Release()
	}
	require.Equal(t, 210*ms, q.Span()) // 1000 ms video .. 1210 ms audio
	q.Push(vid(1400*ms, false))
	require.EqualValues(t, 3, q.Dropped(), "non-key video after an overflow must wait for a keyframe")
	q.Push(aud(1410 * ms))
	q.Push(vid(1500*ms, true))
	require.EqualValues(t, 3, q.Dropped(), "the keyframe ends the wait")
	q.Push(vid(1600*ms, false))
	require.EqualValues(t, 3, q.Dropped())

	require.Equal(t, []pkt{
		{media.Video, 1000 * ms, true},
		{media.Video, 1100 * ms, false},
		{media.Audio, 1210 * ms, true},
		{media.Audio, 1410 * ms, true},
		{media.Video, 1500 * ms, true},
		{media.Video, 1600 * ms, false},
	}, popAll(t, q))
}

func TestQueueAudioKeptWhenOverLimit(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: 100 * ms})
	for i := 0; i < 200; i++ {
		q.Push(aud(time.Duration(i) * 21 * ms))
	}
	require.Zero(t, q.Dropped())
	require.Len(t, popAll(t, q), 200)
}

func TestQueueRequireKeyframe(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in, want   []pkt
		nextNonKey bool // whether a following non-key video push is admitted
	}{
		{
			name: "drops leading non-key video, keeps audio",
			in: []pkt{{media.Audio, 0, true}, {media.Video, 10 * ms, false}, {media.Audio, 20 * ms, true},
				{media.Video, 30 * ms, false}, {media.Video, 40 * ms, true}, {media.Audio, 50 * ms, true}, {media.Video, 60 * ms, false}},
			want: []pkt{{media.Audio, 0, true}, {media.Audio, 20 * ms, true}, {media.Video, 40 * ms, true},
				{media.Audio, 50 * ms, true}, {media.Video, 60 * ms, false}},
			nextNonKey: true,
		},
		{
			name:       "keyframe first: nothing to do",
			in:         []pkt{{media.Video, 0, true}, {media.Video, 10 * ms, false}},
			want:       []pkt{{media.Video, 0, true}, {media.Video, 10 * ms, false}},
			nextNonKey: true,
		},
		{
			name:       "no keyframe queued: all video goes and the queue waits for one",
			in:         []pkt{{media.Video, 0, false}, {media.Audio, 5 * ms, true}, {media.Video, 10 * ms, false}},
			want:       []pkt{{media.Audio, 5 * ms, true}},
			nextNonKey: false,
		},
		{
			name: "empty queue waits for a keyframe", nextNonKey: false,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := NewQueue(DropPolicy{Limit: time.Minute})
			for _, p := range tc.in {
				q.Push(p.make())
			}
			q.RequireKeyframe()
			require.Zero(t, q.Dropped())
			q.Push(vid(time.Second, false))
			q.Push(vid(2*time.Second, true))
			want := append([]pkt(nil), tc.want...)
			if tc.nextNonKey {
				want = append(want, pkt{media.Video, time.Second, false})
			}
			want = append(want, pkt{media.Video, 2 * time.Second, true})
			require.Equal(t, want, popAll(t, q))
			// What goes before a stream's first keyframe is its start, not
			// a loss: frames_dropped counts congestion only.
			require.Zero(t, q.Dropped())
		})
	}
}

func TestQueueRequireKeyframeAfterWrap(t *testing.T) {
	// The ring's head is not at index 0: compaction must follow the ring.
	q := NewQueue(DropPolicy{Limit: time.Minute})
	for i := 0; i < 250; i++ {
		q.Push(aud(time.Duration(i) * ms))
	}
	for i := 0; i < 250; i++ {
		p, _ := q.Pop(context.Background())
		p.Release()
	}
	var want []pkt
	for i := 0; i < 20; i++ {
		d := time.Duration(1000+i) * ms
		if i%2 == 0 {
			q.Push(aud(d))
			want = append(want, pkt{media.Audio, d, true})
		} else {
			key := i == 11
			q.Push(vid(d, key))
			if i >= 11 {
				want = append(want, pkt{media.Video, d, key})
			}
		}
	}
	q.RequireKeyframe()
	require.Zero(t, q.Dropped(), "the start of a stream is not a loss")
	require.Equal(t, want, popAll(t, q))
}

func TestQueueCloseDrainsThenEnds(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: time.Second})
	q.Push(vid(0, true))
	q.Push(aud(10 * ms))
	q.Close()
	late := vid(20*ms, true)
	late.Retain()
	q.Push(late)
	requireReleasedOnce(t, late)

	ctx := context.Background()
	p, ok := q.Pop(ctx)
	require.True(t, ok)
	require.Equal(t, media.Video, p.Kind)
	p.Release()
	p, ok = q.Pop(ctx)
	require.True(t, ok)
	require.Equal(t, media.Audio, p.Kind)
	p.Release()
	p, ok = q.Pop(ctx)
	require.False(t, ok)
	require.Nil(t, p)
}

// TestQueueBlockedPopEnds: a Pop waiting on an empty queue returns false
// when the queue is closed or its context is cancelled.
func TestQueueBlockedPopEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(q *Queue, cancel context.CancelFunc)
	}{
		{"close", func(q *Queue, _ context.CancelFunc) { q.Close() }},
		{"cancel", func(_ *Queue, cancel context.CancelFunc) { cancel() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := NewQueue(DropPolicy{Limit: time.Second})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan bool)
			go func() {
				_, ok := q.Pop(ctx)
				done <- ok
			}()
			time.Sleep(20 * ms)
			tc.end(q, cancel)
			select {
			case ok := <-done:
				require.False(t, ok)
			case <-time.After(2 * time.Second):
				t.Fatalf("Pop did not return after %s", tc.name)
			}
		})
	}
}

func TestQueuePopWakesOnPush(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: time.Second})
	got := make(chan time.Duration)
	go func() {
		p, ok := q.Pop(context.Background())
		if !ok {
			got <- -1
			return
		}
		got <- p.DTS
		p.Release()
	}()
	time.Sleep(20 * ms)
	q.Push(vid(42*ms, true))
	select {
	case d := <-got:
		require.Equal(t, 42*ms, d)
	case <-time.After(2 * time.Second):
		t.Fatal("Pop did not wake on Push")
	}
}

func TestQueueConcurrentOrder(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: time.Hour})
	const n = 5000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			q.Push(vid(time.Duration(i)*ms, true))
		}
		q.Close()
	}()
	next := time.Duration(0)
	for {
		p, ok := q.Pop(context.Background())
		if !ok {
			break
		}
		require.Equal(t, next, p.DTS)
		next += ms
		p.Release()
	}
	wg.Wait()
	require.Equal(t, time.Duration(n)*ms, next)
}

func TestQueueHardCap(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: time.Hour})
	for i := 0; i < hardCap; i++ {
		q.Push(aud(time.Duration(i) * ms))
	}
	extraA := aud(time.Hour)
	extraA.Retain()
	q.Push(extraA)
	requireReleasedOnce(t, extraA)
	require.Zero(t, q.Dropped(), "audio beyond the cap is refused but not counted as dropped video")

	extraV := vid(time.Hour, true)
	extraV.Retain()
	q.Push(extraV)
	requireReleasedOnce(t, extraV)
	require.EqualValues(t, 1, q.Dropped())

	// Back under the cap the queue waits for a keyframe.
	p, ok := q.Pop(context.Background())
	require.True(t, ok)
	p.Release()
	q.Push(vid(time.Hour, false))
	require.EqualValues(t, 2, q.Dropped())
	q.Push(vid(time.Hour, true))
	require.EqualValues(t, 2, q.Dropped())
	out := popAll(t, q)
	require.Len(t, out, hardCap)
	require.Equal(t, pkt{media.Video, time.Hour, true}, out[len(out)-1])
}

func TestQueueDiscard(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: time.Second})
	ps := []*media.Packet{vid(0, true), aud(1 * ms), vid(2*ms, false)}
	for _, p := range ps {
		p.Retain()
		q.Push(p)
	}
	q.Discard()
	require.Zero(t, q.Span())
	for _, p := range ps {
		requireReleasedOnce(t, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*ms)
	defer cancel()
	_, ok := q.Pop(ctx)
	require.False(t, ok)
}

func TestQueuePushPopAllocs(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: time.Second})
	ctx := context.Background()
	payload := make([]byte, 10<<10)
	step := func() {
		q.Push(media.NewPacket(media.Video, 0, 0, true, payload))
		p, _ := q.Pop(ctx)
		p.Release()
	}
	for i := 0; i < 100; i++ {
		step()
	}
	require.LessOrEqual(t, testing.AllocsPerRun(1000, step), 0.1)
}

func BenchmarkQueuePushPop(b *testing.B) {
	q := NewQueue(DropPolicy{Limit: time.Second})
	ctx := context.Background()
	payload := make([]byte, 10<<10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d := time.Duration(i) * ms
		q.Push(media.NewPacket(media.Video, d, d, true, payload))
		p, _ := q.Pop(ctx)
		p.Release()
	}
}
