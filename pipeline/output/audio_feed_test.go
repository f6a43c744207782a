package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
	"studio/internal/testpeer"
	"studio/pipeline/output/flv"
	"studio/pipeline/stats"
)

const (
	feedRate  = 48000
	feedBlock = 1024
	// toneHz and toneDBFS: the test tone, its level RMS as AudioTone
	// reports it (a sine peaking at −9 dBFS).
	toneHz   = 700
	toneDBFS = -12.0
	// programAt is the program time the feed starts at: the program has
	// been running for five minutes when the guest joins.
	programAt = 5 * time.Minute
)

// tone makes planar-float stereo blocks of a sine, stamped in samples of
// program time, as the engine's mixer hands them to a feed.
type tone struct {
	f    *astiav.Frame
	peak float64
	pts  int64 // next block's Pts
	n    int64 // samples made
}

func newTone(t testing.TB) *tone {
	t.Helper()
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetNbSamples(feedBlock)
	f.SetSampleFormat(astiav.SampleFormatFltp)
	f.SetSampleRate(feedRate)
	f.SetChannelLayout(astiav.ChannelLayoutStereo)
	require.NoError(t, f.AllocBuffer(0))
	return &tone{f: f, peak: math.Sqrt2 * math.Pow(10, toneDBFS/20), pts: int64(programAt.Seconds()) * feedRate}
}

// next fills the frame with the next block and returns it.
func (g *tone) next() *astiav.Frame {
	_ = av.MakeWritable(g.f) // a no-op once the encoder has let go of it
	for ch := 0; ch < 2; ch++ {
		s := av.PlanarFloat(g.f, ch)
		for i := range s {
			s[i] = float32(g.peak * math.Sin(2*math.Pi*toneHz*float64(g.n+int64(i))/feedRate))
		}
	}
	g.f.SetPts(g.pts)
	g.pts += feedBlock
	g.n += feedBlock
	return g.f
}

// blockAt is when block i is due when blocks come in real time.
func blockAt(i int) time.Duration {
	return time.Duration(int64(i) * feedBlock * int64(time.Second) / feedRate)
}

// play writes n blocks of g to f in real time, as the engine loop would
// (n < 0: until stop is closed). It returns how many it wrote.
func play(f *AudioFeed, g *tone, n int, stop <-chan struct{}) (int, error) {
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for i := 0; n < 0 || i < n; i++ {
		if wait := time.Until(start.Add(blockAt(i))); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-stop:
				return i, nil
			}
		}
		if err := f.Write(g.next()); err != nil {
			return i, err
		}
	}
	return n, nil
}

// playInBackground plays until the returned stop function is called, which
// gives the count written.
func playInBackground(t *testing.T, f *AudioFeed, g *tone) (stop func() int) {
	t.Helper()
	quit := make(chan struct{})
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := play(f, g, -1, quit)
		done <- result{n, err}
	}()
	var once sync.Once
	var res result
	stop = func() int {
		once.Do(func() {
			close(quit)
			res = <-done
		})
		require.NoError(t, res.err)
		return res.n
	}
	t.Cleanup(func() { stop() })
	return stop
}

// logBuf collects Logf lines.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newFeed(t *testing.T, url string, logs *logBuf) *AudioFeed {
	t.Helper()
	cfg := AudioFeedConfig{Name: "guest1 return", URL: url, SampleRate: feedRate, Channels: 2, Logf: t.Logf}
	if logs != nil {
		cfg.Logf = func(format string, args ...any) {
			logs.logf(format, args...)
			t.Logf(format, args...)
		}
	}
	f, err := NewAudioFeed(cfg)
	require.NoError(t, err)
	t.Cleanup(f.Close)
	return f
}

// waitState polls the feed until it is in state want.
func waitState(t *testing.T, f *AudioFeed, want string, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return f.Snapshot().State == want }, timeout, 5*time.Millisecond,
		"feed not %s; snapshot %+v", want, f.Snapshot())
}

// requireTone checks the tone at [from, from+dur] of a media file.
func requireTone(t *testing.T, path string, from, dur float64) {
	t.Helper()
	hz, level := testpeer.AudioTone(t, path, from, dur)
	t.Logf("%s %.1f–%.1f s: %.1f Hz at %.2f dBFS RMS (made %g)", filepath.Base(path), from, from+dur, hz, level, toneDBFS)
	require.InDelta(t, toneHz, hz, 2)
	require.InDelta(t, toneDBFS, level, 0.5)
}

// requireUnbrokenAudio checks that AAC packets follow each other every
// 1024 samples (21.3 ms; FLV times are whole ms) with no hole.
func requireUnbrokenAudio(t *testing.T, path string) []testpeer.PacketInfo {
	t.Helper()
	pks := testpeer.Packets(t, path, "a")
	require.NotEmpty(t, pks)
	for i := 1; i < len(pks); i++ {
		d := pks[i].Time - pks[i-1].Time
		require.InDelta(t, 0.0213, d, 0.0015, "%s: packet %d comes %.4f s after the one before", path, i, d)
	}
	return pks
}

// A feed pushed into nginx for 5 s is an audio-only AAC stream there.
func TestAudioFeedToNginx(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	f := newFeed(t, ngx.URL("ret1"), nil)
	f.Start(context.Background())
	g := newTone(t)
	const blocks = 235 // 5.01 s
	n, err := play(f, g, blocks, nil)
	require.NoError(t, err)
	require.Equal(t, blocks, n)
	require.True(t, f.Stop(5*time.Second))
	s := f.Snapshot()
	t.Logf("snapshot: %+v", s)
	require.Equal(t, stats.StateStopped, s.State)
	require.Zero(t, s.Reconnects)
	require.Zero(t, s.FramesDropped)
	require.Empty(t, s.LastError)
	require.Positive(t, s.BytesSent)

	rec := ngx.WaitRecordingStable(t, "ret1", 10*time.Second)
	p := testpeer.FFprobe(t, rec)
	t.Logf("ffprobe: %d stream(s), duration %.3f s, audio %+v", p.Streams, p.Format.Duration, *p.Audio)
	require.Equal(t, 1, p.Streams, "one stream")
	require.Nil(t, p.Video, "no video stream")
	require.NotNil(t, p.Audio)
	require.Equal(t, "aac", p.Audio.CodecName)
	require.Equal(t, "LC", p.Audio.Profile)
	require.Equal(t, feedRate, p.Audio.SampleRate)
	require.Equal(t, 2, p.Audio.Channels)
	require.InDelta(t, 5.0, p.Format.Duration, 0.1)
	pks := requireUnbrokenAudio(t, rec)
	require.EqualValues(t, len(pks), s.FramesSent, "every AAC frame sent is in the recording")
	require.Less(t, pks[0].Time, 0.05, "five minutes into the program, the feed starts at zero")
	requireTone(t, rec, 0.5, 4)
	require.Empty(t, testpeer.DecodeErrors(t, rec))
}

// A guest's player reads the feed live from nginx and hears the tone.
func TestAudioFeedPlayedLive(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	f := newFeed(t, ngx.URL("ret1"), nil)
	f.Start(context.Background())
	stop := playInBackground(t, f, newTone(t))
	waitState(t, f, stats.StateLive, 5*time.Second)
	// ffmpeg probes an audio-only RTMP stream for its full analyze
	// duration (5 s), as it does one published by the ffmpeg CLI.
	wav, took := testpeer.PlayAudio(t, ngx.URL("ret1"), 2, 20*time.Second)
	t.Logf("the player took %.1f s to play 2 s", took.Seconds())
	stop()
	require.True(t, f.Stop(5*time.Second))

	p := testpeer.FFprobe(t, wav)
	require.Equal(t, 1, p.Streams)
	require.NotNil(t, p.Audio)
	require.Equal(t, 2, p.Audio.Channels)
	require.InDelta(t, 2.0, p.Format.Duration, 0.05)
	requireTone(t, wav, 0.2, 1.6)
}

// nginx restarts under the feed: it reconnects by itself and the new
// recording has the tone.
func TestAudioFeedReconnectsAfterServerRestart(t *testing.T) {
	ngx := testpeer.StartNginx(t)
	logs := &logBuf{}
	f := newFeed(t, ngx.URL("ret1"), logs)
	f.Start(context.Background())
	stop := playInBackground(t, f, newTone(t))
	waitState(t, f, stats.StateLive, 5*time.Second)

	// Watch every state the feed goes through.
	var seen []string
	var seenMu sync.Mutex
	watchDone := make(chan struct{})
	quitWatch := make(chan struct{})
	go func() {
		defer close(watchDone)
		last := ""
		for {
			select {
			case <-quitWatch:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if s := f.Snapshot().State; s != last {
				seenMu.Lock()
				seen = append(seen, s)
				seenMu.Unlock()
				last = s
			}
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	ngx.Restart(t)
	back := time.Now()
	require.Eventually(t, func() bool { return f.Snapshot().Reconnects >= 1 }, 10*time.Second, 10*time.Millisecond,
		"no reconnect: %s", logs)
	t.Logf("live again %.2f s after the server was back", time.Since(back).Seconds())
	time.Sleep(3 * time.Second)
	close(quitWatch)
	<-watchDone
	stop()
	require.True(t, f.Stop(5*time.Second))

	seenMu.Lock()
	t.Logf("states: %v", seen)
	require.Subset(t, seen, []string{stats.StateLive, stats.StateReconnecting})
	i := strings.Index(strings.Join(seen, " "), stats.StateReconnecting+" "+stats.StateLive)
	require.GreaterOrEqual(t, i, 0, "reconnecting, then live again: %v", seen)
	seenMu.Unlock()
	s := f.Snapshot()
	require.GreaterOrEqual(t, s.Reconnects, int64(1))
	require.Contains(t, logs.String(), "guest1 return: live again")

	rec := ngx.WaitRecordingStable(t, "ret1", 10*time.Second)
	p := testpeer.FFprobe(t, rec)
	require.Equal(t, 1, p.Streams)
	require.NotNil(t, p.Audio)
	t.Logf("second recording: %.2f s", p.Format.Duration)
	pks := requireUnbrokenAudio(t, rec)
	dur := pks[len(pks)-1].Time - pks[0].Time
	require.Greater(t, dur, 2.5, "the second publish holds the 3 s after the reconnect")
	requireTone(t, rec, 0.3, dur-0.6)
}

// The stream key never shows: not in last_error, not in the log, whether
// the server is not there or refuses the publish.
func TestAudioFeedMasksKey(t *testing.T) {
	const key = "sk_guest1_Zx81qQ"
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		require.NoError(t, l.Close()) // nobody listens there now
		logs := &logBuf{}
		url := fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", port, key)
		f := newFeed(t, url, logs)
		f.Start(context.Background())
		require.Eventually(t, func() bool { return f.Snapshot().LastError != "" }, 5*time.Second, 5*time.Millisecond)
		s := f.Snapshot()
		t.Logf("last_error: %s", s.LastError)
		masked := fmt.Sprintf("rtmp://127.0.0.1:%d/live/****", port)
		require.Equal(t, masked, s.URL)
		require.Contains(t, s.LastError, masked)
		require.Contains(t, s.LastError, "connection refused")
		require.NotContains(t, s.LastError, key)
		require.Eventually(t, func() bool { return strings.Contains(logs.String(), "retrying in") }, 2*time.Second, 5*time.Millisecond)
		require.Contains(t, logs.String(), masked)
		require.NotContains(t, logs.String(), key)
		require.Equal(t, stats.StateReconnecting, f.Snapshot().State, "a guest's server may come later: keep trying")
		require.True(t, f.Stop(time.Second))
		require.Equal(t, stats.StateStopped, f.Snapshot().State)
	})
	t.Run("publish rejected", func(t *testing.T) {
		ngx := testpeer.StartNginx(t)
		first := newFeed(t, ngx.URL(key), nil)
		first.Start(context.Background())
		stop := playInBackground(t, first, newTone(t))
		waitState(t, first, stats.StateLive, 5*time.Second)

		logs := &logBuf{}
		second := newFeed(t, ngx.URL(key), logs)
		second.Start(context.Background())
		require.Eventually(t, func() bool { return second.Snapshot().LastError != "" }, 5*time.Second, 5*time.Millisecond)
		s := second.Snapshot()
		t.Logf("last_error: %s", s.LastError)
		masked := fmt.Sprintf("rtmp://127.0.0.1:%d/live/****", ngx.Port)
		require.Contains(t, s.LastError, masked+": server rejected the publish: NetStream.Publish.BadName")
		require.NotContains(t, s.LastError, key)
		// A rejected publish is retried a few times, then given up.
		select {
		case <-second.Done():
		case <-time.After(15 * time.Second):
			t.Fatalf("still trying after 15 s: %+v", second.Snapshot())
		}
		s = second.Snapshot()
		require.Equal(t, stats.StateFailed, s.State)
		require.Contains(t, s.LastError, masked)
		require.NotContains(t, s.LastError, key)
		require.Contains(t, logs.String(), masked)
		require.NotContains(t, logs.String(), key)
		stop()
		require.True(t, first.Stop(5*time.Second))
	})
}

func newTestFeed(t testing.TB, sink Sink, queueMs int) *AudioFeed {
	t.Helper()
	f, err := newAudioFeed(AudioFeedConfig{Name: "ret", URL: "rtmp://127.0.0.1/live/k", SampleRate: feedRate, Channels: 2,
		QueueMs: queueMs}, sink)
	require.NoError(t, err)
	t.Cleanup(f.Close)
	return f
}

// The feed joins five minutes into the program, yet its stream starts at
// zero; its header is audio only.
func TestAudioFeedStartsAtZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ret.flv")
	f := newTestFeed(t, &Recorder{Path: path}, 0)
	h := f.Header()
	require.Empty(t, h.AVCConfig)
	require.Zero(t, h.Width)
	require.Equal(t, []byte{0x11, 0x90}, h.AudioConfig[:2], "AAC-LC, 48 kHz, stereo")
	f.Start(context.Background())
	waitState(t, f, stats.StateLive, 5*time.Second)
	g := newTone(t)
	for i := 0; i < 94; i++ { // 2 s
		require.NoError(t, f.Write(g.next()))
	}
	require.True(t, f.Stop(5*time.Second))
	s := f.Snapshot()
	require.EqualValues(t, 95, s.FramesSent, "94 blocks and the encoder's tail")

	tags := readAudioTags(t, path)
	require.Len(t, tags, 2+95)
	require.Equal(t, flv.TagScript, tags[0].Type)
	for _, k := range []string{"width", "height", "framerate", "videocodecid", "videodatarate"} {
		require.NotContains(t, string(tags[0].Body), k, "onMetaData without video fields")
	}
	for _, k := range []string{"audiocodecid", "audiosamplerate", "audiodatarate", "stereo"} {
		require.Contains(t, string(tags[0].Body), k)
	}
	require.Equal(t, flv.TagAudio, tags[1].Type)
	require.Equal(t, append([]byte{0xaf, 0}, h.AudioConfig...), tags[1].Body, "AAC sequence header")
	for i, tag := range tags[2:] {
		require.Equal(t, flv.TagAudio, tag.Type)
		want := uint32(roundMs(blockAt(i)))
		require.Equal(t, want, tag.TimestampMs, "tag %d: the first at 0, then every 1024 samples", i)
	}
	requireTone(t, path, 0.2, 1.6)
}

// Blocks the encoder cannot take are refused with a reason; a stopped or
// closed feed says so.
func TestAudioFeedWriteChecks(t *testing.T) {
	f := newTestFeed(t, &memSink{}, 0)
	f.Start(context.Background())
	good := newTone(t)
	require.NoError(t, f.Write(good.next()))

	block := func(samples int, format astiav.SampleFormat, layout astiav.ChannelLayout, rate int) *astiav.Frame {
		b := astiav.AllocFrame()
		t.Cleanup(b.Free)
		b.SetNbSamples(samples)
		b.SetSampleFormat(format)
		b.SetChannelLayout(layout)
		b.SetSampleRate(rate)
		require.NoError(t, b.AllocBuffer(0))
		return b
	}
	for _, tc := range []struct {
		name  string
		block *astiav.Frame
		want  string
	}{
		{"nil", nil, "no block"},
		{"short", block(480, astiav.SampleFormatFltp, astiav.ChannelLayoutStereo, feedRate), "480 samples, want 1024"},
		{"packed", block(1024, astiav.SampleFormatFlt, astiav.ChannelLayoutStereo, feedRate), "want fltp"},
		{"mono", block(1024, astiav.SampleFormatFltp, astiav.ChannelLayoutMono, feedRate), "1 channels, want 2"},
		{"44.1 kHz", block(1024, astiav.SampleFormatFltp, astiav.ChannelLayoutStereo, 44100), "44100 Hz, want 48000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.Write(tc.block)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "ret: ")
		})
	}
	require.NoError(t, f.Write(good.next()), "a refused block does not break the feed")
	require.True(t, f.Stop(time.Second))
	require.ErrorIs(t, f.Write(good.next()), ErrFeedStopped)
	f.Close()
	f.Close()
	require.ErrorIs(t, f.Write(good.next()), ErrFeedClosed)
}

func TestNewAudioFeedErrors(t *testing.T) {
	const key = "sk_secret_0042"
	for _, tc := range []struct {
		name string
		cfg  AudioFeedConfig
		want string
	}{
		{"no scheme", AudioFeedConfig{URL: "127.0.0.1/live/" + key, SampleRate: feedRate, Channels: 2}, "url: missing scheme"},
		{"http", AudioFeedConfig{URL: "http://127.0.0.1/live/" + key, SampleRate: feedRate, Channels: 2}, "url: scheme"},
		{"no rate", AudioFeedConfig{URL: "rtmp://127.0.0.1/live/" + key, Channels: 2}, "sample rate must be > 0"},
		{"5.1", AudioFeedConfig{URL: "rtmp://127.0.0.1/live/" + key, SampleRate: feedRate, Channels: 6}, "channels must be 1 or 2"},
		{"negative queue", AudioFeedConfig{URL: "rtmp://127.0.0.1/live/" + key, SampleRate: feedRate, Channels: 2, QueueMs: -1}, "bitrate and queue must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Name = "guest2 return"
			f, err := NewAudioFeed(tc.cfg)
			require.Nil(t, f)
			require.ErrorContains(t, err, `audio feed "guest2 return": `+tc.want)
			require.NotContains(t, err.Error(), key)
		})
	}
}

// A feed whose link cannot keep up drops its oldest audio and stays within
// its queue; Write never waits for the link.
func TestAudioFeedCongestedDropsOldAudio(t *testing.T) {
	sink := &memSink{gate: make(chan struct{})}
	f := newTestFeed(t, sink, 500)
	f.Start(context.Background())
	waitState(t, f, stats.StateLive, 5*time.Second)
	g := newTone(t)
	const blocks = 200 // 4.3 s, far over the 0.5 s queue
	start := time.Now()
	for i := 0; i < blocks; i++ {
		require.NoError(t, f.Write(g.next()))
	}
	took := time.Since(start)
	s := f.Snapshot()
	t.Logf("%d blocks written in %v against a stalled link; snapshot %+v", blocks, took, s)
	require.Less(t, took, 2*time.Second, "Write does not wait for the link")
	require.LessOrEqual(t, s.QueueMs, int64(500))
	require.Positive(t, s.FramesDropped)
	require.InDelta(t, 1, s.Congestion, 0.05)

	close(sink.gate) // the link is back
	require.True(t, f.Stop(5*time.Second))
	s = f.Snapshot()
	got := sink.written()
	require.EqualValues(t, len(got), s.FramesSent)
	require.EqualValues(t, blocks+1, s.FramesSent+s.FramesDropped, "every frame is either sent or counted as dropped")
	// What was sent after the stall is the newest half second, in order.
	last := got[len(got)-1]
	require.InDelta(t, blockAt(blocks).Seconds(), last.Seconds(), 0.03, "the newest audio went out")
	for i := 1; i < len(got); i++ { // got[0] went out before the stall
		require.Greater(t, got[i], got[i-1])
	}
	// The queue held at most its 0.5 s; the encoder's last two packets
	// came at Stop.
	require.LessOrEqual(t, last-got[1], 500*time.Millisecond+blockAt(2))
}

func TestAudioFeedWriteAllocs(t *testing.T) {
	f := newTestFeed(t, &discardSink{}, 0)
	f.Start(context.Background())
	waitState(t, f, stats.StateLive, 5*time.Second)
	g := newTone(t)
	for i := 0; i < 100; i++ { // warm up the encoder, the pool and the queue
		require.NoError(t, f.Write(g.next()))
	}
	allocs := testing.AllocsPerRun(500, func() {
		if err := f.Write(g.next()); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.2f allocations per Write", allocs)
	require.Zero(t, allocs)
	require.True(t, f.Stop(time.Second))
}

// BenchmarkAudioFeedWrite: one AAC frame encoded and queued (the sink
// throws it away).
func BenchmarkAudioFeedWrite(b *testing.B) {
	f, err := newAudioFeed(AudioFeedConfig{Name: "ret", URL: "rtmp://127.0.0.1/live/k", SampleRate: feedRate, Channels: 2},
		&discardSink{})
	require.NoError(b, err)
	defer f.Close()
	f.Start(context.Background())
	g := newTone(b)
	for i := 0; i < 100; i++ {
		require.NoError(b, f.Write(g.next()))
	}
	// The same block over and over, so that only Write is measured.
	block := g.next()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		block.SetPts(g.pts)
		g.pts += feedBlock
		if err := f.Write(block); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	f.Stop(time.Second)
}

// readAudioTags reads an audio-only FLV file's tags.
func readAudioTags(t *testing.T, path string) []flv.Tag {
	t.Helper()
	fh, err := os.Open(path)
	require.NoError(t, err)
	defer fh.Close()
	r, err := flv.NewReader(fh)
	require.NoError(t, err)
	require.True(t, r.HasAudio(), "FLV header flags audio")
	require.False(t, r.HasVideo(), "FLV header flags no video")
	var tags []flv.Tag
	for {
		tag, err := r.Next()
		if errors.Is(err, io.EOF) {
			return tags
		}
		require.NoError(t, err)
		tags = append(tags, tag)
	}
}
