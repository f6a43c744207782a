package presets

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"studio/pipeline/stats"
)

// Preset is one resolved broadcast configuration.
type Preset struct {
	Name        string         `yaml:"name"`        // short name; defaults to the built-in name or the file's base name
	Description string         `yaml:"description"` // one line for `studio presets list`
	Source      SourceConfig   `yaml:"source"`      // the program's one source, when Sources is empty
	Sources     []SourceConfig `yaml:"sources"`     // named sources for scenes; replaces Source
	Scenes      []SceneConfig  `yaml:"scenes"`      // what goes on air; default one scene per source
	Video       VideoConfig    `yaml:"video"`
	Audio       AudioConfig    `yaml:"audio"`
	Outputs     []OutputConfig `yaml:"outputs"`
	Network     NetworkConfig  `yaml:"network"` // how every RTMP destination copes with a bad link
	Record      RecordConfig   `yaml:"record"`
	Filters     FiltersConfig  `yaml:"filters"` // processing of the program, after the scene
	// Transition is how scenes switch, unless a scene says otherwise:
	// cut (the default) or fade.
	Transition TransitionConfig `yaml:"transition"`
	File       string           `yaml:"-"` // where it came from ("demo (built-in)" or the path)

	lines map[string]int // dotted key path -> line of the key in File
}

// SourceConfig says where media comes from.
type SourceConfig struct {
	Name  string `yaml:"name"`  // required in sources:, unique; the single source: is called "pattern" or "media"
	Kind  string `yaml:"kind"`  // "testsrc" | "file" (file also covers network URLs); default "testsrc"
	Input string `yaml:"input"` // path or URL for kind file; env-expanded; required by ValidateForRun
	Loop  bool   `yaml:"loop"`  // restart a file input at its end

	// Test pattern look (kind testsrc).
	Pattern string `yaml:"pattern"` // testsrc2 (default; "" too), smptehdbars or color
	Color   string `yaml:"color"`   // background for pattern color: #rrggbb or an FFmpeg colour name
	Text    string `yaml:"text"`    // a caption drawn large in the middle, e.g. "Be right back"
	ToneHz  int    `yaml:"tone_hz"` // sine tone frequency; 0 is silence; default 1000

	// Capture (kinds screen and camera).
	Display     string     `yaml:"display"`      // screen: X display ":0"; default $DISPLAY
	Region      Region     `yaml:"region"`       // screen: "x,y,w,h"; default the whole screen
	Cursor      bool       `yaml:"cursor"`       // screen: draw the mouse pointer; default true
	Device      string     `yaml:"device"`       // camera: V4L2 node; default /dev/video0
	Size        Resolution `yaml:"size"`         // camera: size to ask for; default the program size
	FPS         FrameRate  `yaml:"fps"`          // capture rate; default the program rate
	PixelFormat string     `yaml:"pixel_format"` // camera: mjpeg, yuyv422, ...; default: chosen from what it offers
	Audio       string     `yaml:"audio"`        // audio device captured with the picture: default, an index or a name from `studio devices`; auto (the default device if there is one); none (default): silence

	// Guests (kind guest): a remote co-host pulled from Input.
	Return   string `yaml:"return"`    // guest: RTMP URL the guest's mix-minus (the program's sound without them) is pushed to; env-expanded
	StaleMs  int    `yaml:"stale_ms"`  // guest: without pictures for this long the tile is cleared; default 3000
	JitterMs int    `yaml:"jitter_ms"` // guest: jitter buffer depth; default 200

	// The source's channel on the mixer.
	GainDB float64 `yaml:"gain_db"` // -60..+20 dB, default 0
	Pan    float64 `yaml:"pan"`     // -1 (left) .. 1 (right), default 0
	Muted  bool    `yaml:"muted"`   // start muted

	Filters FiltersConfig `yaml:"filters"` // processing of this source before the scene
}

// Test pattern looks (SourceConfig.Pattern).
var Patterns = []string{"testsrc2", "smptehdbars", "color"}

// MaxScenes is how many scenes a preset may have: one per key 1-9.
const MaxScenes = 9

// VideoConfig is the H.264 encoding of the program video.
type VideoConfig struct {
	Size    Resolution `yaml:"size"`     // "1280x720"; zero value = keep the input's size
	MaxSize Resolution `yaml:"max_size"` // when Size is zero: cap (keeps aspect); e.g. 1920x1080
	FPS     FrameRate  `yaml:"fps"`      // "30", "25", "29.97", "30000/1001"; zero = keep input rate
	MaxFPS  FrameRate  `yaml:"max_fps"`  // cap when FPS is zero (default 60)
	Bitrate Bitrate    `yaml:"bitrate"`  // "2500k", "4.5M", "3000000"
	KeyintS float64    `yaml:"keyint_s"` // keyframe interval in seconds, default 2
	Preset  string     `yaml:"preset"`   // x264 preset, default "veryfast"
	Tune    string     `yaml:"tune"`     // "" or an x264 tune
	Profile string     `yaml:"profile"`  // baseline main high; default "high"
}

// AudioConfig is the AAC encoding of the program audio.
type AudioConfig struct {
	Bitrate    Bitrate `yaml:"bitrate"`     // default 160k
	SampleRate int     `yaml:"sample_rate"` // 44100 or 48000; default 48000
	Channels   int     `yaml:"channels"`    // 1 or 2; default 2
}

// OutputConfig is one RTMP destination.
type OutputConfig struct {
	Name    string `yaml:"name"`     // default "out1", "out2"...
	URL     string `yaml:"url"`      // rtmp:// or rtmps://, required, env-expanded
	QueueMs int    `yaml:"queue_ms"` // bounded send queue in media milliseconds, default 4000, 200..60000
}

// NetworkConfig says how every RTMP destination (preset outputs and --to)
// copes with a link slower than the stream, after OBS's rules.
type NetworkConfig struct {
	// DropBFramesMs: with more than this much media queued for a
	// destination, its disposable (non-reference) frames are dropped;
	// default 700.
	DropBFramesMs int `yaml:"drop_bframes_ms"`
	// DropPFramesMs: above this, every frame but keyframes is dropped until
	// the next keyframe; default 900. Audio, sequence headers and metadata
	// are never dropped.
	DropPFramesMs int `yaml:"drop_pframes_ms"`
	// AdaptiveBitrate lowers the video bitrate to what the slowest live
	// destination carries while it stays congested, and raises it back in
	// 10 % steps once its queue stays empty; default off.
	AdaptiveBitrate bool `yaml:"adaptive_bitrate"`
	// MinBitrate is the floor adaptive bitrate never goes below; default 500k.
	MinBitrate Bitrate `yaml:"min_bitrate"`
	// CAFile is a PEM file of extra certificate authorities for rtmps://
	// servers with private certificates (the system's roots are always
	// trusted); env-expanded.
	CAFile string `yaml:"ca_file"`
}

// RecordConfig is the optional local recording.
type RecordConfig struct {
	Path string `yaml:"path"` // "" = no recording; env-expanded; plain path (no strftime)
	// Format is flv or mkv; default: mkv when the path ends in .mkv, else flv.
	// Both stay playable when studio is killed.
	Format string `yaml:"format"`
	// SplitSize starts a new file at the first keyframe past this size
	// ("2G", "500M"); 0: one file.
	SplitSize ByteSize `yaml:"split_size"`
	// SplitTime starts a new file at the first keyframe past this much
	// time ("30m", "1h"); 0: one file.
	SplitTime Duration `yaml:"split_time"`
}

// Recording formats (RecordConfig.Format).
const (
	FormatFLV = "flv"
	FormatMKV = "mkv"
)

// Source kinds.
const (
	KindTestsrc = "testsrc" // generated test pattern and tone
	KindFile    = "file"    // a media file or a URL FFmpeg can open
	KindScreen  = "screen"  // an X display (x11grab)
	KindCamera  = "camera"  // a V4L2 camera
	KindGuest   = "guest"   // a remote co-host pulled by URL (RTMP, SRT, HTTP-FLV), held and cleared when late
)

// AudioNone and AudioAuto are the special values of SourceConfig.Audio.
const (
	AudioNone = "none" // silence
	AudioAuto = "auto" // the default capture device, or silence when there is none
)

// CameraPixelFormats are the accepted camera pixel_format values (FFmpeg's
// v4l2 input_format names).
var CameraPixelFormats = []string{"mjpeg", "yuyv422", "uyvy422", "nv12", "yuv420p", "h264", "rgb24", "bgr24", "gray"}

// Limits checked by Validate.
const (
	MaxVideoBitrate Bitrate = 100_000_000 // 100M
	MinAudioBitrate Bitrate = 32_000
	MaxAudioBitrate Bitrate = 512_000
	DefaultQueueMs          = 4000
	// OBS's drop thresholds (its "drop_threshold" and "pframe_drop_threshold").
	DefaultDropBFramesMs         = 700
	DefaultDropPFramesMs         = 900
	DefaultMinBitrate    Bitrate = 500_000
	// MinSplitSize and MinSplitTime keep split recordings from becoming a
	// storm of tiny files.
	MinSplitSize ByteSize = 1_000_000
	MinSplitTime          = Duration(10 * time.Second)
)

// X264Presets, X264Tunes and H264Profiles are the accepted values of
// video.preset, video.tune (besides "") and video.profile.
var (
	X264Presets  = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"}
	X264Tunes    = []string{"film", "animation", "grain", "stillimage", "fastdecode", "zerolatency"}
	H264Profiles = []string{"baseline", "main", "high"}
)

// Defaults returns a Preset holding only the default values that Parse
// starts from before reading the YAML.
func Defaults() *Preset {
	return &Preset{
		Source: DefaultSource(),
		Video: VideoConfig{
			Size:    Resolution{1280, 720},
			FPS:     FrameRate{30, 1},
			MaxFPS:  FrameRate{60, 1},
			Bitrate: 2_500_000,
			KeyintS: 2,
			Preset:  "veryfast",
			Profile: "high",
		},
		Audio:      AudioConfig{Bitrate: 160_000, SampleRate: 48000, Channels: 2},
		Network:    DefaultNetwork(),
		Transition: TransitionConfig{Kind: TransitionCut},
	}
}

// DefaultNetwork returns the network settings a preset starts from.
func DefaultNetwork() NetworkConfig {
	return NetworkConfig{DropBFramesMs: DefaultDropBFramesMs, DropPFramesMs: DefaultDropPFramesMs, MinBitrate: DefaultMinBitrate}
}

// DefaultSource returns a SourceConfig with its defaults: the moving test
// pattern with a 1 kHz tone.
func DefaultSource() SourceConfig {
	return SourceConfig{Kind: KindTestsrc, Pattern: "testsrc2", ToneHz: 1000, Cursor: true,
		StaleMs: DefaultStaleMs, JitterMs: DefaultJitterMs}
}

// ProgramSources returns the sources the program runs: Sources, or the single
// Source named after its kind ("pattern" or "media").
func (p *Preset) ProgramSources() []SourceConfig {
	if len(p.Sources) > 0 {
		return p.Sources
	}
	s := p.Source
	if s.Name == "" {
		s.Name = "pattern"
		switch s.Kind {
		case KindFile:
			s.Name = "media"
		case KindScreen, KindCamera:
			s.Name = s.Kind
		}
	}
	return []SourceConfig{s}
}

// ProgramScenes returns the scenes: Scenes, or one per source named after it.
func (p *Preset) ProgramScenes() []SceneConfig {
	if len(p.Scenes) > 0 {
		return p.Scenes
	}
	var out []SceneConfig
	for _, s := range p.ProgramSources() {
		if len(out) == MaxScenes {
			break
		}
		out = append(out, SceneConfig{Name: s.Name, Source: s.Name})
	}
	return out
}

// OutputName is the first of out1, out2, … that taken does not hold: the
// name of a --to URL or of one the console adds. (A preset's unnamed
// outputs are named by position, out1 for the first, and a clash is
// reported with its line.)
func OutputName(taken func(string) bool) string {
	for i := 1; ; i++ {
		if n := "out" + strconv.Itoa(i); !taken(n) {
			return n
		}
	}
}

// DefaultOutput returns an OutputConfig with its defaults (no name, no URL).
func DefaultOutput() OutputConfig { return OutputConfig{QueueMs: DefaultQueueMs} }

// errAt builds an *Error for key, at the line recorded for key (or for its
// nearest parent that appeared in the file).
func (p *Preset) errAt(key, format string, args ...any) *Error {
	return &Error{File: p.File, Line: p.lineOf(key), Key: key, Reason: fmt.Sprintf(format, args...)}
}

// said reports whether the preset's file wrote key.
func (p *Preset) said(key string) bool {
	_, ok := p.lines[key]
	return ok
}

func (p *Preset) lineOf(key string) int {
	for k := key; k != ""; {
		if l, ok := p.lines[k]; ok {
			return l
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

// Validate checks every value and returns the first problem as an *Error
// ("file:line: key: reason"; without the line for a Preset not read from
// YAML). It allows an empty source.input for kind file, because commands
// like `studio relay INPUT` supply it; see ValidateForRun.
func (p *Preset) Validate() error {
	if err := p.validate(); err != nil {
		return err
	}
	return nil
}

// ValidateForRun is Validate plus the checks that need a complete program:
// source.input is required when source.kind is file.
func (p *Preset) ValidateForRun() error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(p.Sources) == 0 && p.Source.Kind == KindFile && strings.TrimSpace(p.Source.Input) == "" {
		return p.errAt("source.input", "required when source.kind is file")
	}
	for i, s := range p.Sources {
		if (s.Kind == KindFile || s.Kind == KindGuest) && strings.TrimSpace(s.Input) == "" {
			return p.errAt("sources["+strconv.Itoa(i)+"].input", "required when kind is %s", s.Kind)
		}
	}
	return nil
}

func (p *Preset) validate() *Error {
	if e := p.checkSource("source", p.Source); e != nil {
		return e
	}
	if len(p.Sources) > 0 {
		// A source: section left at its defaults (as a marshalled preset
		// writes it) is harmless; one that says something would be ignored.
		if _, both := p.lines["source"]; both && !reflect.DeepEqual(p.Source, DefaultSource()) {
			return p.errAt("source", "use either source: (one source) or sources: (named sources for scenes), not both")
		}
	}
	names := map[string]int{}
	for i, s := range p.Sources {
		key := "sources[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(s.Name) == "" {
			return p.errAt(key+".name", "required: scenes refer to sources by name")
		}
		if e := p.checkUnique(names, "sources", i, s.Name); e != nil {
			return e
		}
		if s.Name == stats.MasterName {
			return p.errAt(key+".name", `"master" is the mixer's master fader; choose another name`)
		}
		if e := p.checkSource(key, s); e != nil {
			return e
		}
		if s.Name == stats.ProgramName {
			return p.errAt(key+".name", `"program" names the program's own filters; choose another name`)
		}
	}
	if len(p.Scenes) > MaxScenes {
		return p.errAt("scenes", "%d scenes; at most %d (one per key 1-%d)", len(p.Scenes), MaxScenes, MaxScenes)
	}
	if e := p.checkScenes(); e != nil {
		return e
	}
	if e := p.checkTransition("transition", p.Transition); e != nil {
		return e
	}

	v := &p.Video
	if e := p.checkSize("video.size", v.Size); e != nil {
		return e
	}
	if e := p.checkSize("video.max_size", v.MaxSize); e != nil {
		return e
	}
	if e := p.checkFPS("video.fps", v.FPS); e != nil {
		return e
	}
	if e := p.checkFPS("video.max_fps", v.MaxFPS); e != nil {
		return e
	}
	switch {
	case v.Bitrate <= 0:
		return p.errAt("video.bitrate", "must be > 0")
	case v.Bitrate > MaxVideoBitrate:
		return p.errAt("video.bitrate", "must be <= 100M")
	}
	if !(v.KeyintS > 0 && v.KeyintS <= 20) {
		return p.errAt("video.keyint_s", "must be > 0 and <= 20 (seconds)")
	}
	if !contains(X264Presets, v.Preset) {
		return p.errAt("video.preset", "unknown x264 preset %s (use one of %s)", quote(v.Preset), strings.Join(X264Presets, ", "))
	}
	if v.Tune != "" && !contains(X264Tunes, v.Tune) {
		return p.errAt("video.tune", "unknown x264 tune %s (use one of %s, or leave empty)", quote(v.Tune), strings.Join(X264Tunes, ", "))
	}
	if !contains(H264Profiles, v.Profile) {
		return p.errAt("video.profile", "unknown H.264 profile %s (use one of %s)", quote(v.Profile), strings.Join(H264Profiles, ", "))
	}

	a := &p.Audio
	if a.Bitrate < MinAudioBitrate || a.Bitrate > MaxAudioBitrate {
		return p.errAt("audio.bitrate", "must be between 32k and 512k")
	}
	if a.SampleRate != 44100 && a.SampleRate != 48000 {
		return p.errAt("audio.sample_rate", "must be 44100 or 48000")
	}
	if a.Channels != 1 && a.Channels != 2 {
		return p.errAt("audio.channels", "must be 1 or 2")
	}

	if e := p.checkFilters("filters", p.Filters); e != nil {
		return e
	}
	if e := p.checkNetwork(); e != nil {
		return e
	}
	if e := p.checkRecord(); e != nil {
		return e
	}

	seen := map[string]int{}
	for i, o := range p.Outputs {
		key := "outputs[" + strconv.Itoa(i) + "]"
		if e := p.checkURL(key+".url", o.URL); e != nil {
			return e
		}
		if o.QueueMs < 200 || o.QueueMs > 60000 {
			return p.errAt(key+".queue_ms", "must be between 200 and 60000")
		}
		if o.Name != "" {
			if e := p.checkUnique(seen, "outputs", i, o.Name); e != nil {
				return e
			}
			if o.Name == stats.RecordingName {
				return p.errAt(key+".name", `"recording" is the local recording's name; choose another name`)
			}
		}
	}
	return nil
}

func (p *Preset) checkNetwork() *Error {
	n := &p.Network
	if n.DropBFramesMs < 100 || n.DropBFramesMs > 60000 {
		return p.errAt("network.drop_bframes_ms", "must be between 100 and 60000")
	}
	if n.DropPFramesMs < n.DropBFramesMs || n.DropPFramesMs > 60000 {
		return p.errAt("network.drop_pframes_ms", "must be at least network.drop_bframes_ms (%d) and at most 60000", n.DropBFramesMs)
	}
	if n.AdaptiveBitrate {
		switch {
		case n.MinBitrate < 100_000:
			return p.errAt("network.min_bitrate", "must be at least 100k")
		case n.MinBitrate > p.Video.Bitrate && p.said("network.min_bitrate"):
			// The default floor above a low video.bitrate is simply that
			// bitrate (the engine clamps); one written out is a mistake.
			return p.errAt("network.min_bitrate", "%s is above video.bitrate (%s)", n.MinBitrate, p.Video.Bitrate)
		}
	}
	return nil
}

func (p *Preset) checkRecord() *Error {
	r := &p.Record
	if r.Format != "" && r.Format != FormatFLV && r.Format != FormatMKV {
		return p.errAt("record.format", "unknown format %s (use flv or mkv)", quote(r.Format))
	}
	if r.SplitSize < 0 || (r.SplitSize > 0 && r.SplitSize < MinSplitSize) {
		return p.errAt("record.split_size", "must be 0 (one file) or at least %s", MinSplitSize)
	}
	if r.SplitTime < 0 || (r.SplitTime > 0 && r.SplitTime < MinSplitTime) {
		return p.errAt("record.split_time", "must be 0 (one file) or at least %s", MinSplitTime)
	}
	return nil
}

// checkUnique records that list[i] is called name, or says where the name
// was used before.
func (p *Preset) checkUnique(seen map[string]int, list string, i int, name string) *Error {
	if j, dup := seen[name]; dup {
		return p.errAt(fmt.Sprintf("%s[%d].name", list, i), "duplicate name %s (also %s[%d])", quote(name), list, j)
	}
	seen[name] = i
	return nil
}

// checkSource validates one source's kind and test-pattern look.
func (p *Preset) checkSource(key string, s SourceConfig) *Error {
	switch s.Kind {
	case KindTestsrc, KindFile, KindScreen, KindCamera, KindGuest:
	default:
		return p.errAt(key+".kind", "unknown kind %s (use %s, %s, %s, %s or %s)", quote(s.Kind), KindTestsrc, KindFile, KindScreen, KindCamera, KindGuest)
	}
	if e := p.checkMixer(key, s); e != nil {
		return e
	}
	capture := s.Kind == KindScreen || s.Kind == KindCamera
	if s.Audio != "" && s.Audio != AudioNone && !capture {
		return p.errAt(key+".audio", "only screen and camera sources capture an audio device (kind is %s)", s.Kind)
	}
	if s.Display != "" && !displayRE.MatchString(s.Display) {
		return p.errAt(key+".display", "%s is not an X display (e.g. :0 or :99)", quote(s.Display))
	}
	if s.Device != "" && !strings.HasPrefix(s.Device, "/dev/") {
		return p.errAt(key+".device", "%s is not a device path (e.g. /dev/video0; `studio devices` lists the cameras)", quote(s.Device))
	}
	if e := p.checkSize(key+".size", s.Size); e != nil {
		return e
	}
	if e := p.checkFPS(key+".fps", s.FPS); e != nil {
		return e
	}
	if s.PixelFormat != "" && !contains(CameraPixelFormats, s.PixelFormat) {
		return p.errAt(key+".pixel_format", "unknown pixel format %s (use one of %s)", quote(s.PixelFormat), strings.Join(CameraPixelFormats, ", "))
	}
	if s.Pattern != "" && !contains(Patterns, s.Pattern) {
		return p.errAt(key+".pattern", "unknown pattern %s (use one of %s)", quote(s.Pattern), strings.Join(Patterns, ", "))
	}
	if s.Color != "" && !colorRE.MatchString(s.Color) {
		return p.errAt(key+".color", "%s is not a colour (use #rrggbb or a name such as navy)", quote(s.Color))
	}
	if e := p.checkFilters(key+".filters", s.Filters); e != nil {
		return e
	}
	if s.ToneHz < 0 || s.ToneHz > 20000 {
		return p.errAt(key+".tone_hz", "must be between 0 (silence) and 20000")
	}
	if strings.ContainsAny(s.Text, "\n\r") || len(s.Text) > 80 {
		return p.errAt(key+".text", "one line of at most 80 characters")
	}
	return nil
}

// displayRE is an X display name: [host]:display[.screen].
var displayRE = regexp.MustCompile(`^[A-Za-z0-9.-]*:[0-9]+(\.[0-9]+)?$`)

// colorRE accepts what we pass to FFmpeg's colour parser safely: #rrggbb or a plain name.
var colorRE = regexp.MustCompile(`^(#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$`)

func (p *Preset) checkSize(key string, r Resolution) *Error {
	if r.IsZero() {
		return nil
	}
	if r.Width < 16 || r.Width > 7680 || r.Height < 16 || r.Height > 7680 {
		return p.errAt(key, "%s out of range (each side 16..7680)", r)
	}
	if r.Width%2 != 0 || r.Height%2 != 0 {
		return p.errAt(key, "%s must be even, e.g. 1280x720", r)
	}
	return nil
}

func (p *Preset) checkFPS(key string, f FrameRate) *Error {
	if f.IsZero() {
		return nil
	}
	if f.Den <= 0 || f.Num < 0 || f.Float() < 1 || f.Float() > 120 {
		return p.errAt(key, "must be between 1 and 120")
	}
	return nil
}

// checkURL validates an RTMP destination without ever printing its key.
func (p *Preset) checkURL(key, u string) *Error {
	if reason := destinationProblem(u); reason != "" {
		return p.errAt(key, "%s", reason)
	}
	return nil
}

// CheckDestination validates an RTMP destination URL given outside a preset
// (the --to flag). The error says what is wrong and shows the URL only with
// its key masked.
func CheckDestination(u string) error {
	if reason := destinationProblem(u); reason != "" {
		return errors.New(reason)
	}
	return nil
}

// destinationProblem says what is wrong with a destination URL, or "".
func destinationProblem(u string) string {
	if strings.TrimSpace(u) == "" {
		return "required, e.g. rtmp://127.0.0.1/live/mystream"
	}
	parts, ok := splitURL(u)
	if !ok || !validScheme(parts.scheme) {
		return "missing scheme (use rtmp:// or rtmps://, e.g. rtmp://127.0.0.1/live/mystream)"
	}
	if s := strings.ToLower(parts.scheme); s != "rtmp" && s != "rtmps" {
		return fmt.Sprintf("scheme %s not supported (use rtmp:// or rtmps://)", quote(parts.scheme))
	}
	host := parts.authority
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if h, port, hasPort := cutPort(host); h == "" {
		return maskForError(parts) + " has no host, e.g. rtmp://127.0.0.1/live/mystream"
	} else if hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "bad port (use 1..65535)"
		}
	}
	path := strings.TrimPrefix(parts.path, "/")
	app, streamKey, _ := strings.Cut(path, "/")
	if app == "" || streamKey == "" {
		return maskForError(parts) + " needs an app and a stream key, e.g. rtmp://127.0.0.1/live/mystream"
	}
	return ""
}

// cutPort splits "host:port" ("[v6]:port" too).
func cutPort(h string) (host, port string, ok bool) {
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return h, "", false
		}
		rest := h[end+1:]
		if strings.HasPrefix(rest, ":") {
			return h[:end+1], rest[1:], true
		}
		return h[:end+1], "", rest != ""
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		return h[:i], h[i+1:], true
	}
	return h, "", false
}

func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
