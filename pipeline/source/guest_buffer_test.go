package source

import (
	"math/rand"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"
)

// The jitter buffer on synthetic time: frames are blank (put only moves
// references), times are in samples at 48 kHz, nothing sleeps.

const (
	bufRate  = 48000
	bufFrame = bufRate / 30 // samples per picture at 30 fps
)

var bufJitter = samplesOf(DefaultGuestJitter, bufRate)

func ms(n int64) int64 { return n * bufRate / 1000 }

// bufSim feeds a guestBuffer with a 30 fps guest and its audio blocks
// and reads it like Guest.Read.
type bufSim struct {
	t     *testing.T
	b     *guestBuffer
	blank *astiav.Frame
	held  *astiav.Frame
	// The guest: its next picture and block (input samples).
	nextPic, nextBlock int64
	// The reader: its next tick and slot (program samples).
	tick, slot int64
	// What the reader saw.
	shown  []int64 // program time of each new picture taken
	sent   int     // blocks the guest sent
	blocks int     // blocks taken
	silent int     // slots that went silent after the first block played
}

// dropped is how many blocks the guest sent that were not played (nor
// are queued).
func (s *bufSim) dropped() int {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.sent - s.blocks - s.b.audio.len()
}

func newBufSim(t *testing.T) *bufSim {
	f := Format{Width: 64, Height: 36, FrameRate: astiav.NewRational(30, 1), SampleRate: bufRate, Channels: 2}
	s := &bufSim{t: t, b: newGuestBuffer(f, DefaultGuestJitter), blank: astiav.AllocFrame()}
	t.Cleanup(func() {
		if s.held != nil {
			s.b.recycle(s.held, true)
		}
		s.b.close()
		s.blank.Free()
	})
	return s
}

// send has the guest deliver everything up to input sample upTo, all
// arriving at program sample at.
func (s *bufSim) send(upTo, at int64) {
	for s.nextPic <= upTo || s.nextBlock <= upTo {
		if s.nextPic <= s.nextBlock {
			s.b.put(s.blank, true, s.nextPic, at)
			s.nextPic += bufFrame
		} else {
			s.b.put(s.blank, false, s.nextBlock, at)
			s.nextBlock += AudioFrameSamples
			s.sent++
		}
	}
}

// read has the program read up to program sample now.
func (s *bufSim) read(now int64) {
	for s.slot <= now || s.tick <= now {
		if s.slot <= s.tick {
			if f := s.b.takeAudio(s.slot); f != nil {
				require.Equal(s.t, s.slot, f.Pts(), "a block off the program's grid")
				s.b.recycle(f, false)
				s.blocks++
			} else if s.blocks > 0 {
				s.silent++
			}
			s.slot += AudioFrameSamples
			continue
		}
		var took bool
		s.held, took, _ = s.b.takeVideo(s.tick, now, s.held)
		if took {
			s.shown = append(s.shown, s.held.Pts())
		}
		s.tick += bufFrame
	}
}

// depth is how far ahead of now the newest queued picture is due.
func (s *bufSim) depth(now int64) int64 {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.video.len() == 0 {
		return 0
	}
	return s.b.video.items[s.b.video.len()-1].Pts() - now
}

// run plays d from program sample start in 1 ms steps: the guest's
// frame at input sample x arrives at program sample arrival(x), and the
// program reads what is due. It returns the program sample it ended at.
func (s *bufSim) run(start int64, d time.Duration, arrival func(x int64) int64) int64 {
	end := start + samplesOf(d, bufRate)
	for now := start; now < end; now += ms(1) {
		// Everything whose arrival time has come.
		for {
			x := min(s.nextPic, s.nextBlock)
			if arrival(x) > now {
				break
			}
			s.send(x, now)
		}
		s.read(now)
	}
	return end
}

func TestGuestBufferSteadyWithJitter(t *testing.T) {
	s := newBufSim(t)
	rng := rand.New(rand.NewSource(1))
	delay := map[int64]int64{}
	// Each frame is 20 ms late plus up to 150 ms of jitter (below the 200 ms buffer).
	s.run(0, 10*time.Second, func(x int64) int64 {
		d, ok := delay[x]
		if !ok {
			d = ms(20) + rng.Int63n(ms(150))
			delay[x] = d
		}
		return x + d
	})
	require.Zero(t, s.b.reanchored())
	require.Zero(t, s.silent, "no block came too late")
	require.Zero(t, s.dropped())
	// Every picture shown, each once, in order, one per tick.
	require.InDelta(t, 290, len(s.shown), 5) // 10 s less the first 0.3 s (delay and buffer)
	for i := 1; i < len(s.shown); i++ {
		require.Equal(t, int64(bufFrame), s.shown[i]-s.shown[i-1], "picture %d skipped or repeated", i)
	}
}

func TestGuestBufferConnectBurstIsNotDrift(t *testing.T) {
	s := newBufSim(t)
	// The connection opens at 1 s with 0.8 s of the guest already
	// buffered (probe, key frame wait): that comes at once, the rest live.
	open := ms(1000)
	s.tick, s.slot = open, open-open%AudioFrameSamples // the program reads from the present
	s.send(ms(800), open)
	for _, f := range s.b.video.items {
		require.LessOrEqual(t, f.Pts(), open+bufJitter+AudioFrameSamples/2, "the anchor is the newest frame of the burst")
	}
	end := s.run(open, 5*time.Second, func(x int64) int64 { return x - ms(800) + open })
	require.Zero(t, s.b.reanchored(), "a connection's first burst is not drift")
	require.InDelta(t, float64(bufJitter), float64(s.depth(end)), float64(bufFrame+AudioFrameSamples))
	require.LessOrEqual(t, s.silent, 1, "no silence once the guest played")
}

func TestGuestBufferStallReanchors(t *testing.T) {
	s := newBufSim(t)
	// 3 s on time, a 1.5 s stall, then the backlog at once and on time again.
	now := s.run(0, 3*time.Second, func(x int64) int64 { return x + ms(30) })
	stall := now
	backlog := func(x int64) int64 {
		if x+ms(30) < stall+ms(1500) {
			return max(x+ms(30), stall+ms(1500))
		}
		return x + ms(30)
	}
	before := len(s.shown)
	now = s.run(now, 3*time.Second, backlog)
	require.Positive(t, s.b.reanchored(), "the stall re-anchored the guest")
	require.LessOrEqual(t, s.b.reanchored(), int64(2))
	// The buffer is back to its depth: 1.5 s later than before the stall.
	require.InDelta(t, float64(bufJitter), float64(s.depth(now)), float64(bufFrame+AudioFrameSamples))
	// The program skipped the backlog: about 1.5 s fewer new pictures.
	require.InDelta(t, 90-45, len(s.shown)-before, 10)
}

func TestGuestBufferDriftReanchors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		speed float64 // guest seconds per program second
	}{{"fast guest", 1.01}, {"slow guest", 0.99}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newBufSim(t)
			// The guest's clock runs 1 % off the program's: input x arrives at x/speed.
			now := s.run(0, 120*time.Second, func(x int64) int64 { return int64(float64(x)/tc.speed) + ms(30) })
			n := s.b.reanchored()
			t.Logf("%d re-anchors in 120 s, %d silent slots, %d blocks dropped, depth %d ms", n, s.silent, s.dropped(), s.depth(now)*1000/bufRate)
			// 1 % of 120 s is 1.2 s of drift: a faster guest is
			// re-anchored when 500 ms ahead too many (twice), a slower
			// one whenever it comes within 50 ms of being late (every
			// 15 s), before any block is late.
			// A faster guest's re-anchor skips the 500 ms it gained; a
			// slower one's leaves a gap of about 150 ms, but no block of
			// it comes too late to play.
			if tc.speed > 1 {
				require.Equal(t, int64(2), n)
				require.InDelta(t, 2*500/21.33, s.dropped(), 4)
				require.LessOrEqual(t, s.silent, int(n))
			} else {
				require.InDelta(t, 8, n, 1)
				require.Zero(t, s.dropped())
				require.InDelta(t, float64(n)*150/21.33, s.silent, float64(n)+1)
			}
			d := s.depth(now)
			require.Less(t, d, bufJitter+ms(500)+bufFrame)
			require.Greater(t, d, int64(0))
		})
	}
}

func TestGuestBufferNewConnectionTakesOver(t *testing.T) {
	s := newBufSim(t)
	now := s.run(0, 2*time.Second, func(x int64) int64 { return x + ms(30) })
	// A new connection starts its input at 0 again; its first frames are
	// due when the old connection's last ones were.
	s.b.connect()
	s.nextPic, s.nextBlock = 0, 0
	s.send(0, now)
	for _, q := range []*frameQueue{&s.b.video, &s.b.audio} {
		for i := 1; i < q.len(); i++ {
			require.Less(t, q.items[i-1].Pts(), q.items[i].Pts(), "queue out of time order")
		}
	}
	end := s.run(now, 2*time.Second, func(x int64) int64 { return x + now })
	require.Zero(t, s.b.reanchored())
	require.InDelta(t, float64(bufJitter), float64(s.depth(end)), float64(bufFrame+AudioFrameSamples))
}

func TestBlockRound(t *testing.T) {
	for in, want := range map[int64]int64{0: 0, 511: 0, 512: 1024, 1500: 1024, -511: 0, -513: -1024, -1024: -1024, -1600: -2048} {
		require.Equal(t, want, blockRound(in), "blockRound(%d)", in)
	}
	require.Equal(t, int64(48000*100000), samplesOf(100000*time.Second, 48000))
}
