package encode

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// link simulates one destination: a queue of media that fills at the
// stream's rate and drains at the link's.
type link struct {
	capacity float64 // bits per second
	backlog  float64 // bits queued
}

func (l *link) step(target int64, audio int64, dt time.Duration) LinkSample {
	in := float64(target+audio) * dt.Seconds()
	out := min(l.backlog+in, l.capacity*dt.Seconds())
	l.backlog += in - out
	rate := float64(target + audio)
	return LinkSample{Queue: time.Duration(l.backlog / rate * float64(time.Second)), Bps: out / dt.Seconds()}
}

func TestAdaptiveFollowsTheLinkDownAndBackUp(t *testing.T) {
	a := &Adaptive{Max: 3_000_000, Min: 1_000_000, Audio: 160_000, Congested: 350 * time.Millisecond}
	l := &link{capacity: 10e6}
	type change struct {
		at  time.Duration
		bps int64
	}
	var changes []change
	var now time.Duration
	var maxQueue time.Duration // once drained after the first cut
	drained := false
	run := func(until time.Duration) {
		for ; now < until; now += AdaptiveInterval {
			s := l.step(a.Target(), a.Audio, AdaptiveInterval)
			if bps, changed := a.Sample(now, []LinkSample{s}); changed {
				changes = append(changes, change{now, bps})
			}
			drained = drained || (len(changes) > 0 && s.Queue < emptyQueue)
			if drained {
				maxQueue = max(maxQueue, s.Queue)
			}
		}
	}
	run(5 * time.Second)
	require.Equal(t, int64(3_000_000), a.Target(), "a fast link keeps the preset's rate")
	require.Empty(t, changes)

	l.capacity = 1_580_000 // half of what we send, for 20 s
	run(25 * time.Second)
	t.Logf("during the squeeze: %v", changes)
	require.NotEmpty(t, changes)
	require.Equal(t, change{6 * time.Second, 1_200_000}, changes[0],
		"after 1 s of congestion: 0.9 × 1.58 Mb/s, less 160k audio, rounded down to 100k")
	// Probing back up finds the link still narrow, but cuts again before
	// the queue reaches the 900 ms where whole GOPs would be dropped.
	require.Less(t, maxQueue, 900*time.Millisecond)

	l.capacity = 10e6
	squeezeEnd := len(changes)
	run(70 * time.Second)
	var raises []int64
	for i, c := range changes[squeezeEnd:] {
		raises = append(raises, c.bps)
		if i > 0 {
			require.Equal(t, 3*time.Second, c.at-changes[squeezeEnd+i-1].at, "a step every 3 s")
		}
	}
	require.Equal(t, int64(3_000_000), raises[len(raises)-1], "back to the preset's rate")
	for i := 1; i < len(raises); i++ {
		require.Equal(t, int64(300_000), raises[i]-raises[i-1], "10 %% steps: %v", raises)
	}
}

func TestAdaptiveNeverBelowTheFloor(t *testing.T) {
	a := &Adaptive{Max: 3_000_000, Min: 1_000_000, Audio: 160_000, Congested: 350 * time.Millisecond}
	for now := time.Duration(0); now < 20*time.Second; now += AdaptiveInterval {
		a.Sample(now, []LinkSample{{Queue: 2 * time.Second, Bps: 300_000, Drops: 5}})
		require.GreaterOrEqual(t, a.Target(), int64(1_000_000))
	}
	require.Equal(t, int64(1_000_000), a.Target())
}

func TestAdaptiveIgnoresABlip(t *testing.T) {
	a := &Adaptive{Max: 3_000_000, Min: 500_000, Audio: 160_000, Congested: 350 * time.Millisecond}
	_, changed := a.Sample(0, []LinkSample{{Queue: 600 * time.Millisecond, Bps: 1e6}})
	require.False(t, changed)
	_, changed = a.Sample(AdaptiveInterval, []LinkSample{{Queue: 50 * time.Millisecond, Bps: 3e6}})
	require.False(t, changed, "one congested sample is not congestion that persists")
	require.Equal(t, int64(3_000_000), a.Target())
}

func TestAdaptiveSlowestCongestedLinkDecides(t *testing.T) {
	a := &Adaptive{Max: 4_000_000, Min: 500_000, Audio: 160_000, Congested: 350 * time.Millisecond}
	links := []LinkSample{{Queue: 40 * time.Millisecond, Bps: 4.1e6}, {Queue: time.Second, Bps: 2e6}}
	a.Sample(0, links)
	bps, changed := a.Sample(AdaptiveInterval, links)
	require.True(t, changed)
	require.Equal(t, int64(1_600_000), bps) // 0.9 × 2 Mb/s − 160k = 1.64M
	// Reset: a new stream starts at the preset's rate.
	a.Reset()
	require.Equal(t, int64(4_000_000), a.Target())
}
