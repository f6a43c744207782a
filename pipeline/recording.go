package pipeline

import (
	"errors"
	"os"
	"strings"
	"time"

	"studio/pipeline/output"
	"studio/presets"
)

// recordingName is the name StartRecording starts from: the run's record
// path or, when there is none, freshRecordingPath's default name, with the
// .mkv extension when the preset records MKV.
func (e *Engine) recordingName(now time.Time) string {
	if e.cfg.RecordPath != "" || e.cfg.Preset.Record.Format != presets.FormatMKV {
		return e.cfg.RecordPath
	}
	return strings.TrimSuffix(freshRecordingPath("", now), ".flv") + ".mkv"
}

// recordingExists says whether a recording at path would write over a
// file: path itself or, for a split recording, its first part.
func recordingExists(path string) bool {
	for _, p := range []string{path, output.PartPath(path, 1)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			return true
		}
	}
	return false
}
