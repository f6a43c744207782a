package source

import (
	"fmt"
	"math"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
	"studio/internal/testpeer"
	"studio/pipeline/media"
)

// guestFormat is the program format of the guest tests.
var guestFormat = Format{Width: 640, Height: 360, FrameRate: astiav.NewRational(30, 1), SampleRate: 48000, Channels: 2}

// colourInputs are publisher inputs: a solid colour at w×h, 30 fps, and a
// 600 Hz sine at 1/8 of full scale (ffmpeg's default), made stereo by
// the publisher (−3 dB on each side).
func colourInputs(colour string, w, h int) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("color=c=%s:s=%dx%d:r=30", colour, w, h),
		"-f", "lavfi", "-i", "sine=f=600:r=48000"}
}

// yuvAt returns the Y, U and V values at (x, y) of a yuv420p frame.
func yuvAt(t *testing.T, f *astiav.Frame, x, y int) (yy, u, v float64) {
	t.Helper()
	require.Equal(t, astiav.PixelFormatYuv420P, f.PixelFormat())
	yp, ys := av.Plane(f, 0)
	up, us := av.Plane(f, 1)
	vp, vs := av.Plane(f, 2)
	return float64(yp[y*ys+x]), float64(up[y/2*us+x/2]), float64(vp[y/2*vs+x/2])
}

// tile is what a guest's video frame shows.
type tile int

const (
	tileOther tile = iota
	tileColour
	tilePlaceholder
)

func (k tile) String() string { return [...]string{"other", "colour", "placeholder"}[k] }

// rgb is a colour to look for.
type rgb struct{ r, g, b float64 }

// classify says whether f shows want (each of Y, U, V within ±4 of
// BT.601's) or the placeholder, looking a quarter in from the top left
// (clear of the caption and the clock).
func classify(t *testing.T, f *astiav.Frame, want rgb) tile {
	t.Helper()
	y, u, v := yuvAt(t, f, f.Width()/4, f.Height()/4)
	wy, wu, wv := yuvOf(want.r, want.g, want.b)
	py, pu, pv := yuvOf(0x20, 0x20, 0x20)
	near := func(a, b, c, x, y, z float64) bool {
		return math.Abs(a-x) <= 4 && math.Abs(b-y) <= 4 && math.Abs(c-z) <= 4
	}
	switch {
	case near(y, u, v, wy, wu, wv):
		return tileColour
	case near(y, u, v, py, pu, pv):
		return tilePlaceholder
	}
	return tileOther
}

// tick is one video frame a guest delivered.
type tick struct {
	at   time.Duration // its program time
	kind tile
}

// readGuest reads g until stop says so (or the deadline), checking what
// every source promises (program format, contiguous PTS, presentation
// order) and that Read keeps to the program clock; each frame goes to
// each.
func readGuest(t *testing.T, g *Guest, within time.Duration, each func(Frame) bool) {
	t.Helper()
	f := g.Format()
	deadline := time.Now().Add(within)
	var lastTime time.Duration
	nextV, nextA := int64(-1), int64(-1)
	for time.Now().Before(deadline) {
		fr, err := g.Read()
		require.NoError(t, err)
		require.GreaterOrEqual(t, fr.Time, lastTime, "presentation order")
		lastTime = fr.Time
		now, _ := g.clock.Now()
		switch fr.Kind {
		case media.Video:
			if nextV >= 0 {
				require.Equal(t, nextV, fr.PTS, "video PTS gap or repeat")
			}
			nextV = fr.PTS + 1
			require.Equal(t, fr.PTS, fr.AV.Pts())
			require.Equal(t, f.Width, fr.AV.Width())
			require.Equal(t, f.Height, fr.AV.Height())
			require.Equal(t, f.VideoTime(fr.PTS), fr.Time)
			// Delivered at its time: never early, never held up by the network.
			require.GreaterOrEqual(t, now, fr.Time)
			require.Less(t, now-fr.Time, 100*time.Millisecond, "video frame %d late", fr.PTS)
		case media.Audio:
			if nextA >= 0 {
				require.Equal(t, nextA, fr.PTS, "audio PTS gap or overlap")
			}
			nextA = fr.PTS + int64(fr.AV.NbSamples())
			require.Equal(t, AudioFrameSamples, fr.AV.NbSamples())
			require.Equal(t, astiav.SampleFormatFltp, fr.AV.SampleFormat())
			require.Equal(t, f.SampleRate, fr.AV.SampleRate())
			require.Equal(t, f.AudioTime(fr.PTS), fr.Time)
			require.Less(t, now-fr.Time, 100*time.Millisecond, "audio block %d late", fr.PTS)
		}
		if !each(fr) {
			return
		}
	}
	t.Fatalf("still reading after %s", within)
}

// openTestGuest opens a guest of url on a started program clock; Close
// is left to the test (t.Cleanup closes it too, if the test did not).
func openTestGuest(t *testing.T, url string, log *logLines) *Guest {
	t.Helper()
	clock := &Clock{}
	clock.Start()
	cfg := GuestConfig{Name: "guest1", URL: url, Format: guestFormat, Clock: clock}
	if log != nil {
		cfg.Logf = log.add
	}
	start := time.Now()
	g, err := OpenGuest(cfg)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 500*time.Millisecond, "OpenGuest returns at once")
	closed := false
	t.Cleanup(func() {
		if !closed {
			g.Close()
		}
	})
	return g
}

// waitFor reads g until a video frame is c, and returns how long that took.
func waitFor(t *testing.T, g *Guest, c rgb, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	readGuest(t, g, within, func(fr Frame) bool {
		return fr.Kind != media.Video || classify(t, fr.AV, c) != tileColour
	})
	return time.Since(start)
}

// TestGuestShowsThePublisher: a guest pulling a stream from nginx-rtmp
// delivers its colour and its tone in the program format, on the
// program clock.
func TestGuestShowsThePublisher(t *testing.T) {
	n := testpeer.StartNginx(t)
	blue := rgb{0x30, 0x60, 0xc0}
	testpeer.Publish(t, n.URL("g1"), colourInputs("0x3060c0", 1280, 720)...)
	var log logLines
	g := openTestGuest(t, n.URL("g1"), &log)

	// The placeholder until the guest's pictures come.
	fr, err := g.Read()
	require.NoError(t, err)
	for fr.Kind != media.Video {
		fr, err = g.Read()
		require.NoError(t, err)
	}
	require.Equal(t, tilePlaceholder, classify(t, fr.AV, blue))
	require.True(t, g.Cleared())

	took := waitFor(t, g, blue, 15*time.Second)
	t.Logf("first picture after %s", took.Round(time.Millisecond))
	require.True(t, g.Connected())
	require.False(t, g.Cleared())

	// A second of program: the colour on every tick, the tone on both sides.
	var left, right []float32
	frames, other := 0, 0
	readGuest(t, g, 5*time.Second, func(fr Frame) bool {
		switch fr.Kind {
		case media.Video:
			frames++
			if classify(t, fr.AV, blue) != tileColour {
				other++
			}
		case media.Audio:
			left = append(left, av.PlanarFloat(fr.AV, 0)...)
			right = append(right, av.PlanarFloat(fr.AV, 1)...)
		}
		return len(left) < 48000+AudioFrameSamples || frames < 30
	})
	require.Zero(t, other, "every picture is the guest's colour")
	for i, ch := range [][]float32{left, right} {
		freq, level := toneOf(ch[:48000], 48000)
		t.Logf("channel %d: %.1f Hz at %.2f dBFS RMS", i, freq, level)
		require.InDelta(t, 600, freq, 2, "the guest's tone")
		// A 1/8 full-scale sine made stereo at −3 dB: −21.1 dBFS peak, −24.1 dBFS RMS.
		require.InDelta(t, -24.1, level, 1, "the guest's level")
	}
	st := g.Status()
	require.False(t, st.Stalled, st.Err)
	require.Positive(t, st.Pictures)
	require.Zero(t, g.Reconnects())
	require.Zero(t, g.CorruptPackets())
	require.Contains(t, log.text(), "guest1: connected to "+n.URL("g1")[:strings.LastIndexByte(n.URL("g1"), '/')]+"/****")
}

// toneOf returns the frequency of the strongest tone in x (Goertzel,
// 1 Hz steps over 50..2000 Hz, refined by a parabola) and x's RMS level
// in dBFS.
func toneOf(x []float32, rate float64) (freq, rmsDB float64) {
	power := func(f float64) float64 {
		w := 2 * math.Pi * f / rate
		c := 2 * math.Cos(w)
		var s1, s2 float64
		for _, v := range x {
			s1, s2 = float64(v)+c*s1-s2, s1
		}
		return s1*s1 + s2*s2 - c*s1*s2
	}
	best, bestP := 0.0, -1.0
	for f := 50.0; f <= 2000; f++ {
		if p := power(f); p > bestP {
			best, bestP = f, p
		}
	}
	a, b, c := power(best-1), bestP, power(best+1)
	if d := a - 2*b + c; d != 0 {
		best += 0.5 * (a - c) / d
	}
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	return best, 10 * math.Log10(sum/float64(len(x)))
}

// TestGuestPullsOtherProtocols: SRT (MPEG-TS, the publisher listening)
// and HTTP-FLV (the publisher serving) come in like RTMP.
func TestGuestPullsOtherProtocols(t *testing.T) {
	for _, scheme := range []string{"srt", "http"} {
		t.Run(scheme, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			port := ln.Addr().(*net.TCPAddr).Port
			require.NoError(t, ln.Close())
			pub, pull := fmt.Sprintf("srt://127.0.0.1:%d?mode=listener", port), fmt.Sprintf("srt://127.0.0.1:%d", port)
			if scheme == "http" {
				pub = fmt.Sprintf("http://127.0.0.1:%d/guest.flv", port)
				pull = pub
			}
			testpeer.Publish(t, pub, colourInputs("0x3060c0", 640, 360)...)
			g := openTestGuest(t, pull, nil)
			took := waitFor(t, g, rgb{0x30, 0x60, 0xc0}, 15*time.Second)
			var left []float32
			var from time.Duration
			readGuest(t, g, 5*time.Second, func(fr Frame) bool {
				if from == 0 {
					from = fr.Time + 500*time.Millisecond // settled
				}
				if fr.Kind == media.Audio && fr.Time >= from {
					left = append(left, av.PlanarFloat(fr.AV, 0)...)
				}
				return len(left) < 24000
			})
			freq, level := toneOf(left, 48000)
			t.Logf("first picture after %s; %.1f Hz at %.1f dBFS", took.Round(time.Millisecond), freq, level)
			require.InDelta(t, 600, freq, 2)
			require.InDelta(t, -24.1, level, 1)
		})
	}
}

// TestGuestHoldsThroughAStall: while the publisher's data stops (a TCP
// proxy between it and nginx stops reading), the tile holds the last
// picture; after StaleAfter it shows the placeholder, and when the data
// flows again the picture comes back by itself.
func TestGuestHoldsThroughAStall(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 15 s")
	}
	n := testpeer.StartNginx(t)
	px := testpeer.StartProxy(t, fmt.Sprintf("127.0.0.1:%d", n.Port))
	blue := rgb{0x30, 0x60, 0xc0}
	testpeer.Publish(t, fmt.Sprintf("rtmp://%s/live/g1", px.Addr()), colourInputs("0x3060c0", 640, 360)...)
	var log logLines
	g := openTestGuest(t, n.URL("g1"), &log)
	waitFor(t, g, blue, 15*time.Second)

	// stall stops the data for d and records every tick from then until
	// the colour has been back for a second (or 6 s after the stall).
	stall := func(d time.Duration) (from time.Duration, ticks []tick) {
		from, _ = g.clock.Now()
		px.Stall(true)
		resumed, backSince := false, time.Duration(-1)
		readGuest(t, g, d+10*time.Second, func(fr Frame) bool {
			now, _ := g.clock.Now()
			if !resumed && now-from >= d {
				px.Stall(false)
				resumed = true
			}
			if fr.Kind != media.Video {
				return true
			}
			k := classify(t, fr.AV, blue)
			ticks = append(ticks, tick{fr.Time, k})
			switch {
			case !resumed || k != tileColour:
				backSince = -1
			case backSince < 0:
				backSince = fr.Time
			}
			return (backSince < 0 || fr.Time-backSince < time.Second) && fr.Time-from < d+6*time.Second
		})
		return from, ticks
	}

	// A second: the picture is held all along.
	from, ticks := stall(time.Second)
	for _, tk := range ticks {
		require.Equal(t, tileColour, tk.kind, "at %s into a 1 s stall", tk.at-from)
	}
	require.Zero(t, g.Reconnects(), "a 1 s stall needs no reconnect")
	t.Logf("1 s stall: held throughout; %d re-anchors", g.Reanchors())

	// Four seconds: held until StaleAfter, then the placeholder until the
	// data flows again, then the picture.
	from, ticks = stall(4 * time.Second)
	cleared, back := time.Duration(-1), time.Duration(-1)
	for _, tk := range ticks {
		switch {
		case cleared < 0 && tk.kind == tilePlaceholder:
			cleared = tk.at - from
		case cleared < 0:
			require.Equal(t, tileColour, tk.kind, "at %s into the stall, before the placeholder", tk.at-from)
		case back < 0 && tk.kind == tileColour:
			back = tk.at - from
		case back < 0:
			require.Equal(t, tilePlaceholder, tk.kind, "at %s into the stall, after the placeholder", tk.at-from)
		default:
			require.Equal(t, tileColour, tk.kind, "at %s into the stall, after the picture came back", tk.at-from)
		}
	}
	t.Logf("4 s stall: placeholder at %s, picture back at %s (%s after the data flowed again); %d reconnects, %d re-anchors",
		cleared.Round(time.Millisecond), back.Round(time.Millisecond), (back - 4*time.Second).Round(time.Millisecond), g.Reconnects(), g.Reanchors())
	require.InDelta(t, StaleAfter.Seconds(), cleared.Seconds(), 0.15, "the placeholder StaleAfter into the stall")
	require.Positive(t, back, "the picture came back by itself")
	require.Less(t, back, 4*time.Second+3*time.Second)
	require.False(t, g.Cleared())

	// Close cuts short a read that waits for data.
	px.Stall(true)
	readGuest(t, g, 5*time.Second, func(fr Frame) bool { return fr.Kind != media.Video || fr.PTS%15 != 0 })
	begin := time.Now()
	g.Close()
	require.Less(t, time.Since(begin), time.Second, "Close returns at once")
}

// TestGuestReconnectsToANewPublisher: the publisher dies; the tile
// clears after StaleAfter; a new publisher takes the stream over and the
// guest shows it by itself. Close leaves no goroutine behind.
func TestGuestReconnectsToANewPublisher(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 12 s")
	}
	n := testpeer.StartNginx(t)
	blue, orange := rgb{0x30, 0x60, 0xc0}, rgb{0xd0, 0x40, 0x20}
	first := testpeer.Publish(t, n.URL("g1"), colourInputs("0x3060c0", 640, 360)...)
	goroutines := runtime.NumGoroutine()
	var log logLines
	g := openTestGuest(t, n.URL("g1"), &log)
	waitFor(t, g, blue, 15*time.Second)
	readGuest(t, g, 5*time.Second, func(fr Frame) bool { return fr.Kind != media.Video || fr.PTS%30 != 0 })

	first.Kill()
	killed, _ := g.clock.Now()
	var cleared time.Duration
	readGuest(t, g, 10*time.Second, func(fr Frame) bool {
		if fr.Kind != media.Video {
			return true
		}
		if k := classify(t, fr.AV, blue); k != tileColour {
			require.Equal(t, tilePlaceholder, k)
			cleared = fr.Time - killed
			return false
		}
		return true
	})
	t.Logf("placeholder %s after the publisher died", cleared.Round(time.Millisecond))
	require.InDelta(t, StaleAfter.Seconds(), cleared.Seconds(), 0.2)
	require.True(t, g.Cleared())
	require.True(t, g.Status().Stalled)

	second := testpeer.Publish(t, n.URL("g1"), colourInputs("0xd04020", 640, 360)...)
	took := waitFor(t, g, orange, 15*time.Second)
	t.Logf("new publisher shown %s after it started; %d reconnects", took.Round(time.Millisecond), g.Reconnects())
	require.GreaterOrEqual(t, g.Reconnects(), int64(1))
	require.Contains(t, log.text(), "connected to "+n.URL("g1")[:strings.LastIndexByte(n.URL("g1"), '/')]+"/**** again")

	start := time.Now()
	g.Close()
	require.Less(t, time.Since(start), time.Second, "Close returns at once")
	second.Kill()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), goroutines, "goroutines left behind")
}

// TestGuestWithoutPublisher: a guest whose stream has no publisher, or
// whose server refuses the connection, opens at once, delivers the
// placeholder and silence on time, says why with the key masked, and
// closes at once even while its connection waits.
func TestGuestWithoutPublisher(t *testing.T) {
	n := testpeer.StartNginx(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	for _, tc := range []struct {
		name, url, shown, why string
	}{
		{"no publisher", n.URL("SECRETKEY1"), fmt.Sprintf("rtmp://127.0.0.1:%d/live/****", n.Port), "connecting"},
		{"refused", fmt.Sprintf("rtmp://127.0.0.1:%d/live/SECRETKEY2?token=SECRETTOKEN", refused),
			fmt.Sprintf("rtmp://127.0.0.1:%d/live/****", refused), "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log logLines
			g := openTestGuest(t, tc.url, &log)
			frames := 0
			start, _ := g.clock.Now()
			readGuest(t, g, 5*time.Second, func(fr Frame) bool {
				now, _ := g.clock.Now()
				switch fr.Kind {
				case media.Video:
					frames++
					require.Equal(t, tilePlaceholder, classify(t, fr.AV, rgb{}))
					// No test-pattern clock, stopped, where it would be.
					y, u, v := yuvAt(t, fr.AV, fr.AV.Width()/2, fr.AV.Height()*7/8)
					py, _, _ := yuvOf(0x20, 0x20, 0x20)
					require.Equal(t, [3]float64{math.Round(py), 128, 128}, [3]float64{y, u, v})
				case media.Audio:
					for _, v := range av.PlanarFloat(fr.AV, 0) {
						require.Zero(t, v)
					}
				}
				return now-start < 1500*time.Millisecond
			})
			require.InDelta(t, 45, frames, 3, "the program's rate")
			require.True(t, g.Cleared())
			require.False(t, g.Connected())
			st := g.Status()
			require.True(t, st.Stalled)
			require.Contains(t, st.Err, tc.shown)
			require.Contains(t, st.Err, tc.why)
			t.Logf("status: %s", st.Err)
			begin := time.Now()
			g.Close()
			require.Less(t, time.Since(begin), time.Second, "Close returns at once")
			for _, secret := range []string{"SECRETKEY", "SECRETTOKEN"} {
				require.NotContains(t, st.Err, secret)
				require.NotContains(t, log.text(), secret)
			}
		})
	}
}

// TestGuestKeepsAVSync: a publisher's flashes and beeps (testpeer's A/V
// sync pattern) come out of the guest within a frame of each other.
func TestGuestKeepsAVSync(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 10 s")
	}
	n := testpeer.StartNginx(t)
	pub := testpeer.Publish(t, n.URL("g1"), testpeer.AVSyncInputs(9, 640, 360, 30, 0)...)
	g := openTestGuest(t, n.URL("g1"), nil)
	var flashes, beeps []float64
	bright := false
	quietSince := int64(math.MinInt64 / 2)
	var ended time.Duration = -1
	readGuest(t, g, 20*time.Second, func(fr Frame) bool {
		switch fr.Kind {
		case media.Video:
			y, _, _ := yuvAt(t, fr.AV, fr.AV.Width()/2, fr.AV.Height()/2)
			if y > 128 && !bright {
				flashes = append(flashes, fr.Time.Seconds())
			}
			bright = y > 128
		case media.Audio:
			l, r := av.PlanarFloat(fr.AV, 0), av.PlanarFloat(fr.AV, 1)
			for i := range l {
				n := fr.PTS + int64(i)
				if math.Max(math.Abs(float64(l[i])), math.Abs(float64(r[i]))) < 0.3 {
					continue
				}
				if n-quietSince > 48000/5 {
					beeps = append(beeps, float64(n)/48000)
				}
				quietSince = n
			}
		}
		if ended < 0 && pub.Exited() {
			ended = fr.Time
		}
		return ended < 0 || fr.Time-ended < time.Second
	})
	pairs := testpeer.PairAV(flashes, beeps, 0.5)
	t.Logf("%d flashes, %d beeps, %d pairs", len(flashes), len(beeps), len(pairs))
	require.GreaterOrEqual(t, len(pairs), 5)
	frame := 1 / 30.0
	for _, p := range pairs {
		t.Logf("flash %.3f s, beep %.3f s: beep − flash %+.1f ms", p.Flash, p.Beep, 1000*p.Offset())
		require.InDelta(t, 0, p.Offset(), frame+0.001, "beep and flash more than a frame apart")
	}
}

// TestGuestAllocatesNothing: once a guest plays, its Read and its
// connection goroutine allocate nothing per frame.
func TestGuestAllocatesNothing(t *testing.T) {
	n := testpeer.StartNginx(t)
	testpeer.Publish(t, n.URL("g1"), colourInputs("0x3060c0", 640, 360)...)
	g := openTestGuest(t, n.URL("g1"), nil)
	waitFor(t, g, rgb{0x30, 0x60, 0xc0}, 15*time.Second)
	readGuest(t, g, 5*time.Second, func(fr Frame) bool { return fr.Time < 0 || !g.Connected() || fr.PTS%90 != 0 })
	allocs := testing.AllocsPerRun(90, func() {
		_, err := g.Read()
		require.NoError(t, err)
	})
	require.Zero(t, allocs)
}
