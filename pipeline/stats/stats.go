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

// Stats is one snapshot, built once a second.
type Stats struct {
	Time    time.Time `json:"time"`
	UptimeS float64   `json:"uptime_s"`
	Final   bool      `json:"final"`
	Video   Video     `json:"video"`
	Audio   Audio     `json:"audio"`
	Outputs []Output  `json:"outputs"`
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
	CorruptInput  int64   `json:"corrupt_packets"`
}

// Audio describes the program audio.
type Audio struct {
	SampleRate int           `json:"sample_rate"`
	Channels   int           `json:"channels"`
	Sources    []AudioSource `json:"sources"`
}

// AudioSource is one audio input's level.
type AudioSource struct {
	Name     string  `json:"name"`
	PeakDBFS float64 `json:"peak_dbfs"`
	RMSDBFS  float64 `json:"rms_dbfs"`
	Muted    bool    `json:"muted"`
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
