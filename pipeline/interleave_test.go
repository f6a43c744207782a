package pipeline

import (
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/pipeline/media"
)

type arrival struct {
	at time.Duration // wall-clock time the encoder hands the packet over
	p  *media.Packet
}

// liveArrivals models the two encoders over dur: AAC hands each packet over
// a few ms after its time, libx264 holds video back by its lookahead (up to
// maxLag) and emits in bursts, so audio arrives up to maxLag before the video
// of the same time. B-frames make video DTS run two frames behind PTS and
// AAC priming starts audio one frame early.
func liveArrivals(seed int64, dur, maxLag time.Duration) []arrival {
	rng := rand.New(rand.NewSource(seed))
	const offset = 100 * time.Millisecond
	const audioDelay = 3 * time.Millisecond
	var out []arrival
	aFrame := time.Second * 1024 / 48000
	for k := 0; ; k++ {
		dts := offset - aFrame + time.Duration(k)*aFrame
		if dts > dur {
			break
		}
		out = append(out, arrival{dts + audioDelay, media.NewPacket(media.Audio, dts, dts, true, []byte{1})})
	}
	vFrame := time.Second / 30
	var last time.Duration
	for i := 0; ; i++ {
		dts := offset + time.Duration(i-2)*vFrame
		if dts > dur {
			break
		}
		lag := audioDelay + time.Duration(rng.Int63n(int64(maxLag-audioDelay)))
		at := max(last, dts+lag) // the encoder emits in order
		last = at
		out = append(out, arrival{at, media.NewPacket(media.Video, dts+2*vFrame, dts, i%60 == 0, []byte{2})})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

func TestInterleaverLiveOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		seed   int64
		maxLag time.Duration
	}{
		{"minimal lookahead", 1, 4 * time.Millisecond},
		{"short lookahead", 2, 200 * time.Millisecond},
		{"1 s lookahead", 3, time.Second},
		{"1 s lookahead, other bursts", 4, time.Second},
		{"just under maxHold", 5, maxHold - 200*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := liveArrivals(tc.seed, 10*time.Second, tc.maxLag)
			var out []*media.Packet
			il := interleaver{emit: func(p *media.Packet) { out = append(out, p) }}
			var newestAudio time.Duration
			for _, a := range in {
				il.push(a.p)
				if a.p.Kind == media.Audio {
					newestAudio = a.p.DTS
				}
				for _, h := range il.held {
					require.Equal(t, media.Audio, h.Kind, "only audio is held")
					require.LessOrEqual(t, newestAudio-h.DTS, maxHold, "audio held longer than maxHold")
				}
			}
			il.flush()
			require.Empty(t, il.held)

			require.Len(t, out, len(in))
			seen := map[*media.Packet]bool{}
			for i, p := range out {
				require.False(t, seen[p], "packet emitted twice")
				seen[p] = true
				if i > 0 {
					require.GreaterOrEqual(t, p.DTS, out[i-1].DTS, "DTS goes back at %d (%s after %s)", i, p.Kind, out[i-1].Kind)
				}
			}
			for _, a := range in {
				require.True(t, seen[a.p], "packet lost")
				a.p.Release()
			}
		})
	}
}

func TestInterleaverStuckVideo(t *testing.T) {
	var out []*media.Packet
	il := interleaver{emit: func(p *media.Packet) { out = append(out, p) }}
	il.push(media.NewPacket(media.Video, 0, 0, true, nil))
	require.Len(t, out, 1)
	aFrame := 20 * time.Millisecond
	var pushed []*media.Packet
	for k := 1; k <= 250; k++ { // 5 s of audio, no more video
		d := time.Duration(k) * aFrame
		p := media.NewPacket(media.Audio, d, d, true, nil)
		pushed = append(pushed, p)
		il.push(p)
		if d > maxHold+aFrame {
			// Everything more than maxHold older than the newest has gone out.
			require.Equal(t, d-maxHold-aFrame, out[len(out)-1].DTS)
		}
		require.LessOrEqual(t, d-il.held[0].DTS, maxHold)
	}
	require.Len(t, out, 1+250-int(maxHold/aFrame)-1) // 3.00 s … 5.00 s still held
	il.flush()
	require.Len(t, out, 251)
	for i, p := range pushed {
		require.Same(t, p, out[i+1])
	}
	// Flushing twice emits nothing more.
	il.flush()
	require.Len(t, out, 251)
}

func TestInterleaverAudioBeforeFirstVideo(t *testing.T) {
	var out []*media.Packet
	il := interleaver{emit: func(p *media.Packet) { out = append(out, p) }}
	a1 := media.NewPacket(media.Audio, 50*time.Millisecond, 50*time.Millisecond, true, nil)
	a2 := media.NewPacket(media.Audio, 150*time.Millisecond, 150*time.Millisecond, true, nil)
	il.push(a1)
	il.push(a2)
	require.Empty(t, out, "audio waits for the first video")
	v := media.NewPacket(media.Video, 100*time.Millisecond, 100*time.Millisecond, true, nil)
	il.push(v)
	require.Equal(t, []*media.Packet{a1, v}, out)
	a3 := media.NewPacket(media.Audio, 90*time.Millisecond, 90*time.Millisecond, true, nil)
	il.push(a3) // behind video, but a2 is still held: keeps FIFO order
	require.Len(t, out, 2)
	v2 := media.NewPacket(media.Video, 200*time.Millisecond, 200*time.Millisecond, false, nil)
	il.push(v2)
	require.Equal(t, []*media.Packet{a1, v, a2, a3, v2}, out)
	a4 := media.NewPacket(media.Audio, 190*time.Millisecond, 190*time.Millisecond, true, nil)
	il.push(a4) // nothing held and not ahead of video: straight through
	require.Same(t, a4, out[len(out)-1])
}
