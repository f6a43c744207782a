package presets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want string
	}{
		{"empty file", "", "my.yaml:1: (root): expected a mapping of keys"},
		{"comments only", "# nothing\n", "my.yaml:1: (root): expected a mapping of keys"},
		{"not a mapping", "\n- a\n- b\n", "my.yaml:2: (root): expected a mapping of keys"},
		{"syntax", "name: x\nvideo: fps: 30\n", "my.yaml:2: mapping values are not allowed in this context"},
		{"unknown top key", "name: x\nvidoe:\n  fps: 30\n",
			"my.yaml:2: vidoe: unknown key (known: name, description, source, sources, scenes, video, audio, outputs, network, record, filters, transition)"},
		{"unknown nested key", "name: x\n\nvideo:\n  size: 1280x720\n  fps: 30\n\n  bitrat: 2500k\n",
			"my.yaml:7: video.bitrat: unknown key (known: size, max_size, fps, max_fps, bitrate, keyint_s, preset, tune, profile)"},
		{"unknown key in list", "outputs:\n  - name: a\n    url: rtmp://h/app/k\n  - nmae: b\n",
			"my.yaml:4: outputs[1].nmae: unknown key (known: name, url, queue_ms)"},
		{"duplicate key", "video:\n  fps: 30\n  fps: 25\n", "my.yaml:3: video.fps: duplicate key (first at line 2)"},
		{"section not a mapping", "video: fast\n", "my.yaml:1: video: expected a mapping of keys, got a value"},
		{"outputs not a list", "outputs:\n  url: rtmp://h/a/k\n", "my.yaml:2: outputs: expected a list, got a mapping"},
		{"fps wrong type", "name: x\nvideo:\n  size: 1280x720\n  fps: abc\n",
			`my.yaml:4: video.fps: "abc" is not a frame rate (e.g. 30 or 29.97)`},
		{"fps list", "video:\n  fps: [30]\n",
			`my.yaml:2: video.fps: expected a frame rate (e.g. 30 or 29.97), got a list`},
		{"fps too high", "video:\n  fps: 240\n", "my.yaml:2: video.fps: must be between 1 and 120"},
		{"bitrate wrong type", "video:\n  bitrate: fast\n", `my.yaml:2: video.bitrate: "fast" is not a bitrate (e.g. 2500k or 4.5M)`},
		{"bitrate zero", "video:\n  size: 1280x720\n  bitrate: 0\n", "my.yaml:3: video.bitrate: must be > 0"},
		{"bitrate negative", "video:\n  bitrate: -2500k\n", "my.yaml:2: video.bitrate: must be > 0"},
		{"bitrate too high", "video:\n  bitrate: 200M\n", "my.yaml:2: video.bitrate: must be <= 100M"},
		{"resolution no height", "video:\n  size: 1280\n", `my.yaml:2: video.size: "1280" is not a resolution (e.g. 1280x720)`},
		{"odd size", "video:\n  size: 1281x720\n", "my.yaml:2: video.size: 1281x720 must be even, e.g. 1280x720"},
		{"tiny size", "video:\n  size: 8x8\n", "my.yaml:2: video.size: 8x8 out of range (each side 16..7680)"},
		{"keyint", "video:\n  keyint_s: 0\n", "my.yaml:2: video.keyint_s: must be > 0 and <= 20 (seconds)"},
		{"keyint type", "video:\n  keyint_s: two\n", `my.yaml:2: video.keyint_s: "two" is not a number`},
		{"x264 preset", "video:\n  preset: superslow\n",
			`my.yaml:2: video.preset: unknown x264 preset "superslow" (use one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow)`},
		{"x264 tune", "video:\n  tune: movie\n",
			`my.yaml:2: video.tune: unknown x264 tune "movie" (use one of film, animation, grain, stillimage, fastdecode, zerolatency, or leave empty)`},
		{"profile", "video:\n  profile: high10\n",
			`my.yaml:2: video.profile: unknown H.264 profile "high10" (use one of baseline, main, high)`},
		{"sample rate", "audio:\n  bitrate: 128k\n  sample_rate: 22050\n", "my.yaml:3: audio.sample_rate: must be 44100 or 48000"},
		{"sample rate type", "audio:\n  sample_rate: high\n", `my.yaml:2: audio.sample_rate: "high" is not an integer`},
		{"channels", "audio:\n  channels: 6\n", "my.yaml:2: audio.channels: must be 1 or 2"},
		{"audio bitrate", "audio:\n  bitrate: 8k\n", "my.yaml:2: audio.bitrate: must be between 32k and 512k"},
		{"loop type", "source:\n  loop: maybe\n", `my.yaml:2: source.loop: "maybe" is not true or false`},
		{"unknown kind", "source:\n  kind: webcam\n", `my.yaml:2: source.kind: unknown kind "webcam" (use testsrc, file, screen, camera or guest)`},
		{"audio on a file", "source:\n  kind: file\n  audio: default\n", "my.yaml:3: source.audio: only screen and camera sources capture an audio device (kind is file)"},
		{"bad display", "source:\n  kind: screen\n  display: 99\n", `my.yaml:3: source.display: "99" is not an X display (e.g. :0 or :99)`},
		{"bad region", "source:\n  kind: screen\n  region: 0,0,100\n", `my.yaml:3: source.region: "0,0,100" is not a region (x,y,w,h in pixels, e.g. 0,0,1280,720)`},
		{"bad device", "source:\n  kind: camera\n  device: video0\n", `my.yaml:3: source.device: "video0" is not a device path (e.g. /dev/video0; ` + "`studio devices`" + ` lists the cameras)`},
		{"bad pixel format", "source:\n  kind: camera\n  pixel_format: yuv\n", `my.yaml:3: source.pixel_format: unknown pixel format "yuv" (use one of mjpeg, yuyv422, uyvy422, nv12, yuv420p, h264, rgb24, bgr24, gray)`},
		{"bad capture fps", "source:\n  kind: screen\n  fps: 500\n", "my.yaml:3: source.fps: must be between 1 and 120"},
		{"source and sources", "source:\n  kind: file\nsources:\n  - name: a\n",
			"my.yaml:1: source: use either source: (one source) or sources: (named sources for scenes), not both"},
		{"output named recording", "outputs:\n  - name: recording\n    url: rtmp://h/live/k\n", `my.yaml:2: outputs[0].name: "recording" is the local recording's name; choose another name`},
		{"source named master", "sources:\n  - name: master\n", `my.yaml:2: sources[0].name: "master" is the mixer's master fader; choose another name`},
		{"source without name", "sources:\n  - kind: testsrc\n", "my.yaml:2: sources[0].name: required: scenes refer to sources by name"},
		{"duplicate source", "sources:\n  - name: a\n  - name: a\n", `my.yaml:3: sources[1].name: duplicate name "a" (also sources[0])`},
		{"bad pattern", "sources:\n  - name: a\n    pattern: plasma\n",
			`my.yaml:3: sources[0].pattern: unknown pattern "plasma" (use one of testsrc2, smptehdbars, color)`},
		{"bad colour", "source:\n  pattern: color\n  color: \"#12\"\n", `my.yaml:3: source.color: "#12" is not a colour (use #rrggbb or a name such as navy)`},
		{"tone", "source:\n  tone_hz: 30000\n", "my.yaml:2: source.tone_hz: must be between 0 (silence) and 20000"},
		{"scene unknown source", "sources:\n  - name: cam\nscenes:\n  - name: Main\n    source: camm\n",
			`my.yaml:5: scenes[0].source: unknown source "camm" (sources are: cam)`},
		{"scene without name", "scenes:\n  - source: pattern\n", "my.yaml:2: scenes[0].name: required"},
		{"duplicate scene", "scenes:\n  - name: A\n    source: pattern\n  - name: A\n    source: pattern\n",
			`my.yaml:4: scenes[1].name: duplicate name "A" (also scenes[0])`},
		{"too many scenes", "scenes:" + strings.Repeat("\n  - {name: x, source: pattern}", 10) + "\n", "my.yaml:1: scenes: 10 scenes; at most 9 (one per key 1-9)"},
		{"url scheme", "outputs:\n  - url: http://example.com/app/key\n",
			`my.yaml:2: outputs[0].url: scheme "http" not supported (use rtmp:// or rtmps://)`},
		{"url no scheme", "outputs:\n  - url: example.com/app/key\n",
			`my.yaml:2: outputs[0].url: missing scheme (use rtmp:// or rtmps://, e.g. rtmp://127.0.0.1/live/mystream)`},
		{"url missing key", "outputs:\n  - name: a\n    url: rtmp://127.0.0.1/live/k\n  - name: b\n    url: rtmp://host/app\n",
			`my.yaml:5: outputs[1].url: rtmp://host/**** needs an app and a stream key, e.g. rtmp://127.0.0.1/live/mystream`},
		{"url missing key, query", "outputs:\n  - url: rtmp://host/app?secret=1\n",
			`my.yaml:2: outputs[0].url: rtmp://host/**** needs an app and a stream key, e.g. rtmp://127.0.0.1/live/mystream`},
		{"url no host", "outputs:\n  - url: rtmp:///app/secret\n",
			`my.yaml:2: outputs[0].url: rtmp:///app/**** has no host, e.g. rtmp://127.0.0.1/live/mystream`},
		{"url no host, lone segment", "outputs:\n  - url: rtmp:///secret\n",
			`my.yaml:2: outputs[0].url: rtmp:///**** has no host, e.g. rtmp://127.0.0.1/live/mystream`},
		{"url bad port", "outputs:\n  - url: rtmp://host:99999/app/secret\n",
			`my.yaml:2: outputs[0].url: bad port (use 1..65535)`},
		{"url empty", "outputs:\n  - name: x\n", `my.yaml:2: outputs[0].url: required, e.g. rtmp://127.0.0.1/live/mystream`},
		{"queue", "outputs:\n  - url: rtmp://h/a/k\n    queue_ms: 10\n", "my.yaml:3: outputs[0].queue_ms: must be between 200 and 60000"},
		{"duplicate output name", "outputs:\n  - url: rtmp://h/a/k\n  - name: out1\n    url: rtmp://h/a/k2\n",
			`my.yaml:3: outputs[1].name: duplicate name "out1" (also outputs[0])`},
		{"unset env", "name: x\noutputs:\n  - name: twitch\n    url: rtmp://live.twitch.tv/app/${STUDIO_TEST_UNSET_KEY}\n",
			"my.yaml:4: outputs[0].url: environment variable STUDIO_TEST_UNSET_KEY is not set"},
		{"unterminated env", "record:\n  path: /tmp/${HOME.flv\n", `my.yaml:2: record.path: unterminated "${" (write ${NAME})`},
		{"drop threshold", "network:\n  drop_bframes_ms: 50\n", "my.yaml:2: network.drop_bframes_ms: must be between 100 and 60000"},
		{"drop thresholds order", "network:\n  drop_bframes_ms: 800\n  drop_pframes_ms: 600\n",
			"my.yaml:3: network.drop_pframes_ms: must be at least network.drop_bframes_ms (800) and at most 60000"},
		{"abr floor above bitrate", "video:\n  bitrate: 1000k\nnetwork:\n  adaptive_bitrate: true\n  min_bitrate: 2M\n",
			"my.yaml:5: network.min_bitrate: 2000k is above video.bitrate (1000k)"},
		{"abr floor tiny", "network:\n  adaptive_bitrate: true\n  min_bitrate: 50k\n", "my.yaml:3: network.min_bitrate: must be at least 100k"},
		{"abr type", "network:\n  adaptive_bitrate: sometimes\n", `my.yaml:2: network.adaptive_bitrate: "sometimes" is not true or false`},
		{"ca file env", "network:\n  ca_file: ${STUDIO_TEST_UNSET_CA}\n", "my.yaml:2: network.ca_file: environment variable STUDIO_TEST_UNSET_CA is not set"},
		{"record format", "record:\n  path: a.mp4\n  format: mp4\n", `my.yaml:3: record.format: unknown format "mp4" (use flv or mkv)`},
		{"split size", "record:\n  split_size: 10k\n", "my.yaml:2: record.split_size: must be 0 (one file) or at least 1M"},
		{"split size type", "record:\n  split_size: big\n", `my.yaml:2: record.split_size: "big" is not a size (e.g. 500M or 2G)`},
		{"split time", "record:\n  split_time: 2s\n", "my.yaml:2: record.split_time: must be 0 (one file) or at least 10s"},
		{"split time bare number", "record:\n  split_time: 30\n", `my.yaml:2: record.split_time: "30" is not a duration (e.g. 90s, 30m or 1h)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("my.yaml", []byte(tc.yaml))
			require.Nil(t, p)
			require.EqualError(t, err, tc.want)
			var pe *Error
			require.ErrorAs(t, err, &pe)
		})
	}
}

func TestParseDefaultsAndOverrides(t *testing.T) {
	p, err := Parse("dir/my.yaml", []byte("video:\n  bitrate: 4.5M\n  fps: 29.97\noutputs:\n  - url: rtmp://h/live/a\n  - url: rtmps://h:443/live/b\n    name: backup\n    queue_ms: 1000\n"))
	require.NoError(t, err)
	require.Equal(t, "my", p.Name)
	require.Equal(t, "dir/my.yaml", p.File)
	require.Equal(t, Bitrate(4_500_000), p.Video.Bitrate)
	require.Equal(t, FrameRate{30000, 1001}, p.Video.FPS)
	require.Equal(t, Resolution{1280, 720}, p.Video.Size)
	require.Equal(t, "veryfast", p.Video.Preset)
	require.Equal(t, "high", p.Video.Profile)
	require.Equal(t, FrameRate{60, 1}, p.Video.MaxFPS)
	require.Equal(t, 2.0, p.Video.KeyintS)
	require.Equal(t, AudioConfig{Bitrate: 160_000, SampleRate: 48000, Channels: 2}, p.Audio)
	require.Equal(t, KindTestsrc, p.Source.Kind)
	require.Equal(t, []OutputConfig{
		{Name: "out1", URL: "rtmp://h/live/a", QueueMs: 4000},
		{Name: "backup", URL: "rtmps://h:443/live/b", QueueMs: 1000},
	}, p.Outputs)

	// null keeps the input's size and rate; a null section keeps defaults
	p, err = Parse("x.yaml", []byte("video:\n  size: ~\n  fps:\naudio:\n"))
	require.NoError(t, err)
	require.True(t, p.Video.Size.IsZero())
	require.True(t, p.Video.FPS.IsZero())
	require.Equal(t, 48000, p.Audio.SampleRate)

	// merge keys
	p, err = Parse("x.yaml", []byte("outputs:\n  - &o {url: rtmp://h/live/a, queue_ms: 800}\n  - <<: *o\n    url: rtmp://h/live/b\n"))
	require.NoError(t, err)
	require.Equal(t, OutputConfig{Name: "out2", URL: "rtmp://h/live/b", QueueMs: 800}, p.Outputs[1])
}

func TestEnvExpansionNeverLeaks(t *testing.T) {
	const secret = "live_123456789_SECRETsecret"
	t.Setenv("STUDIO_TEST_KEY", secret)
	t.Setenv("STUDIO_TEST_DIR", "/tmp/rec")

	p, err := Parse("t.yaml", []byte("outputs:\n  - name: twitch\n    url: rtmp://live.twitch.tv/app/${STUDIO_TEST_KEY}\nrecord:\n  path: ${STUDIO_TEST_DIR}/show.flv\n"))
	require.NoError(t, err)
	require.Equal(t, "rtmp://live.twitch.tv/app/"+secret, p.Outputs[0].URL)
	require.Equal(t, "/tmp/rec/show.flv", p.Record.Path)

	for _, doc := range []string{
		"outputs:\n  - url: http://live.twitch.tv/app/${STUDIO_TEST_KEY}\n",
		"outputs:\n  - url: live.twitch.tv/app/${STUDIO_TEST_KEY}\n",
		"outputs:\n  - url: rtmp://live.twitch.tv/${STUDIO_TEST_KEY}\n",
		"outputs:\n  - url: rtmp://live.twitch.tv/app?k=${STUDIO_TEST_KEY}\n",
		"outputs:\n  - url: rtmp://live.twitch.tv:x/app/${STUDIO_TEST_KEY}\n",
		"outputs:\n  - url: rtmp://${STUDIO_TEST_KEY}@/app/x\n",
		"outputs:\n  - url: rtmp://u:${STUDIO_TEST_KEY}@/app/x\n",
		"outputs:\n  - url: rtmp://h/a/${STUDIO_TEST_KEY}\n    queue_ms: 1\n",
		"outputs:\n  - url: rtmp://h/a/${STUDIO_TEST_KEY}\n  - url: rtmp://h/a/${STUDIO_TEST_KEY}\n    name: out1\n",
	} {
		_, err := Parse("t.yaml", []byte(doc))
		require.Error(t, err, doc)
		require.NotContains(t, err.Error(), secret)
		require.NotContains(t, err.Error(), "SECRET")
	}

	// Validate on a modified preset masks too
	p.Outputs[0].URL = "ftp://x/app/" + secret
	err = p.Validate()
	require.EqualError(t, err, `t.yaml:3: outputs[0].url: scheme "ftp" not supported (use rtmp:// or rtmps://)`)
	p.Outputs[0].URL = "rtmp://x/" + secret
	require.NotContains(t, p.Validate().Error(), secret)
}

func TestValidateWithoutLines(t *testing.T) {
	p := Defaults()
	require.NoError(t, p.Validate())
	p.File = "code"
	p.Video.Bitrate = 0
	require.EqualError(t, p.Validate(), "code: video.bitrate: must be > 0")
	p = Defaults()
	p.Outputs = []OutputConfig{{URL: "rtmp://h/app/k"}}
	require.EqualError(t, p.Validate(), "outputs[0].queue_ms: must be between 200 and 60000")
}

func TestValidateForRun(t *testing.T) {
	p, err := Load("relay")
	require.NoError(t, err)
	require.EqualError(t, p.ValidateForRun(), "relay (built-in):13: source.input: required when source.kind is file")
	p.Source.Input = "in.mp4"
	require.NoError(t, p.ValidateForRun())

	p, err = Parse("r.yaml", []byte("source:\n  kind: file\n"))
	require.NoError(t, err)
	require.EqualError(t, p.ValidateForRun(), "r.yaml:1: source.input: required when source.kind is file")
}

func TestMaskURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"rtmp://live.twitch.tv/app/live_123_abc", "rtmp://live.twitch.tv/app/****"},
		{"rtmp://host/app/key?x=y", "rtmp://host/app/****"},
		{"rtmp://host/app/key/more", "rtmp://host/app/****"},
		{"rtmp://host/app?x=y", "rtmp://host/app?****"},
		{"rtmp://host/app", "rtmp://host/app"},
		{"rtmp://host/app/", "rtmp://host/app/"},
		{"rtmp://host", "rtmp://host"},
		{"rtmp://host?x", "rtmp://host?****"},
		{"rtmps://user:pass@host:443/app/key", "rtmps://user:****@host:443/app/****"},
		{"rtmp://token@host/app", "rtmp://****@host/app"},
		{"rtmp://127.0.0.1:1935/live/mystream", "rtmp://127.0.0.1:1935/live/****"},
		{"srt://host:9000?streamid=abc", "srt://host:9000?****"},
		{"/tmp/out.flv", "/tmp/out.flv"},
		{"in.mp4", "in.mp4"},
		{"name?token=1", "name?****"},
		{"", ""},
	} {
		require.Equal(t, tc.want, MaskURL(tc.in), tc.in)
	}
}

func TestBuiltins(t *testing.T) {
	list := List()
	require.Len(t, list, 7)
	var names []string
	for _, info := range list {
		names = append(names, info.Name)
		require.NotEmpty(t, info.Description, info.Name)
		data, ok := Builtin(info.Name)
		require.True(t, ok)
		require.Contains(t, string(data), "#", "built-ins are commented templates")
		p, err := Load(info.Name)
		require.NoError(t, err, info.Name)
		require.Equal(t, info.Name, p.Name)
		require.Equal(t, info.Name+" (built-in)", p.File)
		require.NoError(t, p.Validate())
		require.Empty(t, p.Outputs)
		require.Empty(t, p.Record.Path)
	}
	require.Equal(t, []string{"cohost-4up", "demo", "relay", "screen-1080p30", "screen-720p30", "twitch-720p30", "youtube-1080p30"}, names)

	for _, name := range []string{"screen-720p30", "screen-1080p30"} {
		p, err := Load(name)
		require.NoError(t, err)
		src := p.ProgramSources()
		require.Len(t, src, 1)
		require.Equal(t, SourceConfig{Name: "screen", Kind: KindScreen, Pattern: "testsrc2", ToneHz: 1000, Cursor: true, Audio: AudioAuto,
			StaleMs: DefaultStaleMs, JitterMs: DefaultJitterMs}, src[0])
		require.Equal(t, FrameRate{30, 1}, p.Video.FPS)
		require.NoError(t, p.ValidateForRun())
	}
	p, err := Load("screen-1080p30")
	require.NoError(t, err)
	require.Equal(t, Resolution{1920, 1080}, p.Video.Size)

	p, err = Parse("cap.yaml", []byte("sources:\n  - name: desk\n    kind: screen\n    display: \":99\"\n    region: 10,20,640,360\n    fps: 15\n    cursor: false\n    audio: studio_test.monitor\n"+
		"  - name: cam\n    kind: camera\n    device: /dev/video2\n    size: 1280x720\n    pixel_format: mjpeg\n"))
	require.NoError(t, err)
	require.Equal(t, SourceConfig{Name: "desk", Kind: KindScreen, Pattern: "testsrc2", ToneHz: 1000, Display: ":99",
		Region: Region{10, 20, 640, 360}, FPS: FrameRate{15, 1}, Audio: "studio_test.monitor",
		StaleMs: DefaultStaleMs, JitterMs: DefaultJitterMs}, p.Sources[0])
	require.Equal(t, SourceConfig{Name: "cam", Kind: KindCamera, Pattern: "testsrc2", ToneHz: 1000, Cursor: true, Device: "/dev/video2",
		Size: Resolution{1280, 720}, PixelFormat: "mjpeg", StaleMs: DefaultStaleMs, JitterMs: DefaultJitterMs}, p.Sources[1])

	p, err = Load("")
	require.NoError(t, err)
	require.Equal(t, "demo", p.Name)
	require.Equal(t, "zerolatency", p.Video.Tune)
	require.Equal(t, Resolution{1280, 720}, p.Video.Size)

	p, err = Load("twitch-720p30")
	require.NoError(t, err)
	require.Equal(t, Bitrate(3_000_000), p.Video.Bitrate)
	require.Equal(t, "main", p.Video.Profile)

	p, err = Load("youtube-1080p30")
	require.NoError(t, err)
	require.Equal(t, Resolution{1920, 1080}, p.Video.Size)
	require.Equal(t, "", p.Video.Tune)

	p, err = Load("relay")
	require.NoError(t, err)
	require.Equal(t, KindFile, p.Source.Kind)
	require.True(t, p.Video.Size.IsZero())
	require.True(t, p.Video.FPS.IsZero())
	require.Equal(t, Resolution{1920, 1080}, p.Video.MaxSize)
	require.Equal(t, FrameRate{60, 1}, p.Video.MaxFPS)

	_, ok := Builtin("../preset.go")
	require.False(t, ok)
	_, ok = Builtin("*")
	require.False(t, ok)
}

func TestLoadFiles(t *testing.T) {
	_, err := Load("nope")
	require.EqualError(t, err, `unknown preset "nope": not a built-in (cohost-4up, demo, relay, screen-1080p30, screen-720p30, twitch-720p30, youtube-1080p30) and no such file`)
	require.ErrorIs(t, err, ErrUnknownPreset)
	require.ErrorIs(t, err, fs.ErrNotExist)

	_, err = Load("missing.yaml")
	require.EqualError(t, err, `preset file "missing.yaml": no such file`)
	require.ErrorIs(t, err, ErrUnknownPreset)

	dir := t.TempDir()
	path := filepath.Join(dir, "twitch.yaml")
	data, _ := Builtin("twitch-720p30")
	data = []byte(strings.Replace(string(data), "name: twitch-720p30\n", "", 1))
	data = []byte(strings.Replace(string(data), "bitrate: 3000k", "bitrate: 0", 1))
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = Load(path)
	require.EqualError(t, err, path+":16: video.bitrate: must be > 0")
	var pe *Error
	require.True(t, errors.As(err, &pe))
	require.Equal(t, 16, pe.Line)

	require.NoError(t, os.WriteFile(path, []byte("video:\n  bitrate: 6M\n"), 0o644))
	p, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, "twitch", p.Name)
	require.Equal(t, path, p.File)

	_, err = Load(dir)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrUnknownPreset)
}

func FuzzParse(f *testing.F) {
	for _, info := range List() {
		data, _ := Builtin(info.Name)
		f.Add(data)
	}
	f.Add([]byte("outputs:\n  - url: rtmp://h/a/${HOME}\n    <<: {queue_ms: 300}\nvideo: {size: 0x0, fps: 30000/1001}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		p, err := Parse("fuzz.yaml", data)
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("Parse took %v", d)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse succeeded but Validate failed: %v", err)
		}
		// what a valid preset marshals to reads back the same
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if strings.Contains(string(out), "${") {
			return // an expanded value that looks like a reference
		}
		q, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("re-parse of\n%s: %v", out, err)
		}
		q.lines, p.lines = nil, nil
		require.Equal(t, p, q)
	})
}

func TestAliasAbuse(t *testing.T) {
	_, err := Parse("a.yaml", []byte("video: &a\n  <<: *a\n"))
	require.EqualError(t, err, "a.yaml:1: video: alias refers to itself")

	// a bomb of merges (4^19 walks) must end with an error, not hang
	doc := "outputs:\n  - &o0 {url: rtmp://h/a/k}\n"
	prev := "o0"
	for i := 1; i < 20; i++ {
		name := "o" + strings.Repeat("x", i)
		doc += "  - &" + name + " {<<: [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]}\n"
		prev = name
	}
	_, err = Parse("bomb.yaml", []byte(doc))
	require.ErrorContains(t, err, "document too complex (too many aliases)")
}

func TestNetworkAndRecordSettings(t *testing.T) {
	p, err := Parse("n.yaml", []byte("video:\n  bitrate: 3000k\nnetwork:\n  drop_bframes_ms: 1000\n  drop_pframes_ms: 1500\n"+
		"  adaptive_bitrate: true\n  min_bitrate: 800k\n  ca_file: /etc/ca.pem\nrecord:\n  path: show.MKV\n  split_size: 2G\n  split_time: 30m\n"))
	require.NoError(t, err)
	require.Equal(t, NetworkConfig{DropBFramesMs: 1000, DropPFramesMs: 1500, AdaptiveBitrate: true, MinBitrate: 800_000, CAFile: "/etc/ca.pem"}, p.Network)
	require.Equal(t, "", p.Record.Format, "the recorder picks MKV from the .MKV name")
	require.Equal(t, ByteSize(2_000_000_000), p.Record.SplitSize)
	require.Equal(t, Duration(30*time.Minute), p.Record.SplitTime)

	low, err := Parse("low.yaml", []byte("video:\n  bitrate: 400k\nnetwork:\n  adaptive_bitrate: true\n"))
	require.NoError(t, err, "the default floor above a low bitrate is not the user's mistake")
	require.Equal(t, DefaultMinBitrate, low.Network.MinBitrate)

	d, err := Parse("d.yaml", []byte("name: d\n"))
	require.NoError(t, err)
	require.Equal(t, DefaultNetwork(), d.Network)
	require.Equal(t, RecordConfig{}, d.Record)
	require.Equal(t, "500M", ByteSize(500_000_000).String())
	require.Equal(t, "1500", ByteSize(1500).String())
}
