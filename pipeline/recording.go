package pipeline

import (
	"errors"
	"os"
	"strconv"
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

// RecordingFiles names what a recording at path left on disk, for the
// "recording saved to" message: path itself, or for a split recording its
// parts ("show-001.flv … show-003.flv (3 parts)"), since path was never
// written then.
func RecordingFiles(path string, rec presets.RecordConfig) string {
	if rec.SplitSize <= 0 && rec.SplitTime <= 0 {
		return path
	}
	n := 0
	for ; ; n++ {
		if _, err := os.Stat(output.PartPath(path, n+1)); err != nil {
			break
		}
	}
	switch n {
	case 0:
		return path
	case 1:
		return output.PartPath(path, 1)
	}
	return output.PartPath(path, 1) + " … " + output.PartPath(path, n) + " (" + strconv.Itoa(n) + " parts)"
}
