package tui

import (
	"image"
	"time"

	"studio/pipeline/stats"
)

// StatsMsg carries the engine's once-a-second snapshot.
type StatsMsg stats.Stats

// LogMsg is a warning or error from the engine, already masked.
type LogMsg struct {
	Time  time.Time
	Level string // "info", "warn" or "error"
	Text  string
}

// EngineDoneMsg says the engine stopped (Err nil: the input ended).
type EngineDoneMsg struct{ Err error }

// tickMsg refreshes meters and preview, at most ten times a second.
type tickMsg struct {
	at time.Time
	// levels and picture become the model's: it lends them to the next
	// tick's Levels and Preview to fill in.
	levels  []stats.AudioSource
	picture *image.RGBA
	seq     uint64
}

// resultMsg is the outcome of a control call.
type resultMsg struct {
	action string // "live", "stop", "record", "stoprecord", "scene", "mute", "gain", "reconnect", "add", "remove", "filter"
	err    error
	path   string
	bytes  int64
	name   string // the destination added or removed
	url    string // its URL, masked
	// filters are the filter calls made, each with its own outcome (err
	// is nil).
	filters []filterCall
	at      time.Time
}
