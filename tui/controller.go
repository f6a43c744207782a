// Package tui is studio's console: a full-screen bubbletea program that
// shows scenes, sources, audio meters, outputs and the program picture, and
// drives the engine through the Controller interface. It never calls the
// engine on its own goroutine: every call is a tea.Cmd, and stats arrive as
// messages, so the console stays responsive while the network is down.
package tui

import (
	"image"

	"studio/pipeline/stats"
)

// Controller is what the console needs from the engine (pipeline.Engine
// implements it). Calls may block (stopping a stream drains its queue); the
// console makes them off its event loop.
type Controller interface {
	// GoLive starts pushing to the run's destinations.
	GoLive() error
	// StopLive ends every stream cleanly.
	StopLive() error
	// StartRecording starts a local recording and returns its path.
	StartRecording() (string, error)
	// StopRecording finishes it and returns its path and size.
	StopRecording() (string, int64, error)
	// Reconnect retries waiting destinations now and restarts failed ones.
	Reconnect() error
	// AddDestination adds an RTMP or RTMPS destination. While live it starts
	// at once (joining at a keyframe); otherwise the next GoLive pushes to it
	// too. name "" picks the next free outN. It returns the name used; errors
	// (malformed URL, duplicate name) are the user's and already masked.
	AddDestination(name, url string) (string, error)
	// RemoveDestination stops the named destination (what it holds is sent,
	// up to 5 s) and forgets it.
	RemoveDestination(name string) error
	// SwitchScene puts scene i (0-based) on air.
	SwitchScene(i int) error
	// SetMute and SetGain act on a source by name, or on the master
	// (stats.MasterName).
	SetMute(source string, muted bool) error
	SetGain(source string, db float64) error
	// SetFilter turns a filter (stats.FilterBeauty, ...) of a source on or
	// off, or of the program's own filters (source stats.ProgramName).
	// Beauty and denoise may be turned on without being in the preset (at
	// strength 0.5); the others must be configured there, and the error
	// says so.
	SetFilter(source, filter string, on bool) error
	// SetFilterStrength sets a filter's main parameter (0..1): beauty,
	// denoise or audio_denoise.
	SetFilterStrength(source, filter string, strength float64) error
	// SetPreview turns the preview picture on or off.
	SetPreview(on bool)
	// Preview copies the newest picture into dst (reallocating it when its
	// size differs) and returns it with a sequence number (0: none yet); it
	// copies nothing when the newest is the one numbered since.
	Preview(dst *image.RGBA, since uint64) (*image.RGBA, uint64)
	// Levels returns every source's level since the last call, then the
	// master's (named stats.MasterName); dst is reused.
	Levels(dst []stats.AudioSource) []stats.AudioSource
}

// Options describe the run the console drives.
type Options struct {
	Preset       string        // preset name for the header
	Scenes       []string      // scene names, in key order
	Destinations []Destination // where going live pushes to
	Preview      bool          // start with the preview on
	// VideoKbps is the preset's video bitrate: an encoder target below it
	// (stats.Video.TargetKbps) is adaptive bitrate acting, and is shown.
	VideoKbps float64
}

// Destination is one place going live pushes to.
type Destination struct {
	Name string
	URL  string // masked
}
