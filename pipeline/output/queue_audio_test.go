package output

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/pipeline/media"
)

// audioBlock is the duration of one AAC frame at 48 kHz.
const audioBlock = 1024 * time.Second / 48000

// A congested audio-only queue drops its oldest audio, whole frames, and
// never holds more than its limit; Push never blocks.
func TestQueueAudioOnlyShedsOldest(t *testing.T) {
	q := NewQueue(DropPolicy{Limit: 100 * ms})
	q.SetAudioOnly(true)
	require.True(t, q.AudioOnly())
	first := aud(0)
	first.Retain()
	q.Push(first)
	for i := 1; i < 20; i++ {
		q.Push(aud(time.Duration(i) * audioBlock))
		require.LessOrEqual(t, q.Span(), 100*ms)
	}
	requireReleasedOnce(t, first)
	// 20 frames pushed; the newest ones spanning ≤ 100 ms stay: 4 frames
	// (85 ms) plus the newest.
	require.EqualValues(t, 15, q.Dropped(), "dropped audio frames are counted")
	out := popAll(t, q)
	require.Len(t, out, 5)
	for i, p := range out {
		require.Equal(t, pkt{media.Audio, time.Duration(15+i) * audioBlock, true}, p, "the newest, in order")
	}
}

// Without a limit the hard cap bounds an audio-only queue the same way.
func TestQueueAudioOnlyHardCap(t *testing.T) {
	q := NewQueue(DropPolicy{})
	q.SetAudioOnly(true)
	for i := 0; i < hardCap+10; i++ {
		q.Push(aud(time.Duration(i) * audioBlock))
	}
	require.EqualValues(t, 10, q.Dropped())
	out := popAll(t, q)
	require.Len(t, out, hardCap)
	require.Equal(t, 10*audioBlock, out[0].dts, "the oldest went")
}

// Keyframe waits do not hold an audio-only queue: audio is taken at once
// when the stream starts and after a reconnect.
func TestQueueAudioOnlyResync(t *testing.T) {
	for _, audioOnly := range []bool{false, true} {
		q := NewQueue(DropPolicy{Limit: 2 * time.Second})
		q.SetAudioOnly(audioOnly)
		q.Push(aud(0))
		q.RequireKeyframe()
		q.Push(aud(audioBlock))
		q.Pause()
		q.Push(aud(2 * audioBlock)) // the destination is down: gone
		q.Resync()
		q.Push(aud(3 * audioBlock))
		q.Push(aud(4 * audioBlock))
		got := popAll(t, q)
		if !audioOnly {
			require.Empty(t, got, "with video, audio waits for the keyframe after a reconnect")
			continue
		}
		require.Equal(t, []pkt{{media.Audio, 3 * audioBlock, true}, {media.Audio, 4 * audioBlock, true}}, got)
		require.Zero(t, q.Dropped())
	}
}

// Through an Output: audio only joins at its first packet, shifted to the
// join time, and counts audio frames as frames sent.
func TestOutputAudioOnlyJoinsAtFirstPacket(t *testing.T) {
	sink := &memSink{}
	o := New("ret", "rtmp://h/live/****", sink, DropPolicy{Limit: time.Second}, Policy{FirstTries: 1, RejectTries: 1}, t.Logf)
	o.JoinAt(0)
	o.Start(context.Background(), media.StreamHeader{AudioSampleRate: 48000, AudioChannels: 2})
	at := 5 * time.Minute
	for i := 0; i < 10; i++ {
		o.Push(aud(at + time.Duration(i)*audioBlock))
	}
	require.True(t, o.Stop(5*time.Second))
	require.NoError(t, o.Err())
	got := sink.written()
	require.Len(t, got, 10)
	for i, d := range got {
		require.Equal(t, time.Duration(i)*audioBlock, d)
	}
	s := o.Snapshot()
	require.EqualValues(t, 10, s.FramesSent)
	require.Zero(t, s.FramesDropped)
}
