// Package stats defines the immutable snapshot of a running engine that the
// console and --stats-json consume (DESIGN.md §6). Keys may be added, never
// renamed. Pure Go: the console imports it without cgo.
package stats

import "time"

// Output states.
const (
	StateConnecting   = "connecting"
	StateLive         = "live"
	StateReconnecting = "reconnecting"
	StateFailed       = "failed"
	StateStopped      = "stopped"
)

// Source states.
const (
	SourceLive    = "live"    // on air and delivering frames
	SourceStandby = "standby" // not in the active scene
	SourceStalled = "stalled" // its device stopped delivering; the picture is held
	SourceError   = "error"   // failed; Error says why
	SourceEnded   = "ended"   // the input ended
)

// Reserved names: the mixer's master fader (SetMute/SetGain and
// Audio.Master), the local recording among the outputs, and the program's
// own filters (after the scene) among the sources' filters.
const (
	MasterName    = "master"
	RecordingName = "recording"
	ProgramName   = "program"
)

// Stats is one snapshot, built once a second.
type Stats struct {
	Time    time.Time `json:"time"`
	UptimeS float64   `json:"uptime_s"`
	Final   bool      `json:"final"`
	Scene   string    `json:"scene"`
	Scenes  []string  `json:"scenes"`
	Sources []Source  `json:"sources"`
	Video   Video     `json:"video"`
	Audio   Audio     `json:"audio"`
	Outputs []Output  `json:"outputs"`
	Process Process   `json:"process"`
	// ProgramFilters are the program's own filters (after the scene).
	ProgramFilters []Filter `json:"program_filters,omitempty"`
}

// Filter names (presets' filters: keys), for SetFilter and Filter.Name.
const (
	FilterDenoise      = "denoise"       // video
	FilterBeauty       = "beauty"        // skin smoothing
	FilterWatermark    = "watermark"     // logos, text, clock
	FilterAudioDenoise = "audio_denoise" // audio
	FilterGate         = "gate"
	FilterGain         = "gain"
	FilterLimiter      = "limiter"
)

// FilterNames are every filter, in the order a chain runs them (video,
// then audio); Source.Filters and ProgramFilters follow it.
var FilterNames = []string{FilterDenoise, FilterBeauty, FilterWatermark,
	FilterAudioDenoise, FilterGate, FilterGain, FilterLimiter}

// DefaultStrength is where beauty and denoise start when turned on without
// a preset saying more.
const DefaultStrength = 0.5

// HasStrength says whether a filter has a main parameter (0..1).
func HasStrength(name string) bool {
	return name == FilterBeauty || name == FilterDenoise || name == FilterAudioDenoise
}

// Filter is the live state of one filter of a source or of the program.
type Filter struct {
	Name string `json:"name"`
	On   bool   `json:"on"`
	// Strength is the main parameter, 0..1 (beauty, denoise,
	// audio_denoise); 0 for the others.
	Strength float64 `json:"strength"`
}

// Source is one input of the program.
type Source struct {
	Name  string  `json:"name"`
	Kind  string  `json:"kind"`
	State string  `json:"state"`
	FPS   float64 `json:"fps"`
	Error string  `json:"error"`
	// Filters are the source's filters, in processing order; a filter
	// never configured nor turned on is not listed.
	Filters []Filter `json:"filters,omitempty"`
}

// Process is what the studio process itself uses.
type Process struct {
	CPUPercent float64 `json:"cpu_pct"` // of one core, over the last interval
	RSSMB      float64 `json:"rss_mb"`
}

// Video describes the program video and its encoder.
type Video struct {
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	FPS           float64 `json:"fps"`
	FramesEncoded int64   `json:"frames_encoded"`
	FramesSkipped int64   `json:"frames_skipped"`
	EncodeMs      float64 `json:"encode_ms"`
	BitrateKbps   float64 `json:"bitrate_kbps"`
	// TargetKbps is the encoder's bitrate now: the preset's, or lower
	// while adaptive bitrate holds it down for a congested link.
	TargetKbps   float64 `json:"target_kbps"`
	CorruptInput int64   `json:"corrupt_packets"`
}

// Audio describes the program audio.
type Audio struct {
	SampleRate int           `json:"sample_rate"`
	Channels   int           `json:"channels"`
	Sources    []AudioSource `json:"sources"`
	Master     AudioSource   `json:"master"`
}

// Gain limits of a fader, in dB.
const (
	MinGainDB = -60.0
	MaxGainDB = 20.0
)

// AudioSource is one audio input's level.
type AudioSource struct {
	Name     string  `json:"name"`
	PeakDBFS float64 `json:"peak_dbfs"`
	RMSDBFS  float64 `json:"rms_dbfs"`
	Muted    bool    `json:"muted"`
	GainDB   float64 `json:"gain_db"`
}

// Output is one destination (RTMP or recording). URL is always masked.
type Output struct {
	Name          string  `json:"name"`
	URL           string  `json:"url"`
	State         string  `json:"state"`
	BitrateKbps   float64 `json:"bitrate_kbps"`
	BytesSent     int64   `json:"bytes_sent"`
	FramesSent    int64   `json:"frames_sent"`
	FramesDropped int64   `json:"frames_dropped"`
	QueueMs       int64   `json:"queue_ms"`
	Congestion    float64 `json:"congestion"`
	Reconnects    int64   `json:"reconnects"`
	LastError     string  `json:"last_error"`
}
