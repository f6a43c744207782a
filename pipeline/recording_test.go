package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/presets"
)

// A split recording of show.mkv writes show-001.mkv: a fresh name must not
// be one whose first part is already there.
func TestFreshRecordingPathSeesParts(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)
	want := filepath.Join(dir, "show.mkv")
	require.Equal(t, want, freshRecordingPath(want, now))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "show-001.mkv"), nil, 0o644))
	require.Equal(t, filepath.Join(dir, "show-2026-11-22_10-04-05.mkv"), freshRecordingPath(want, now))
}

func TestRecordingName(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name, path, format, want string
	}{
		{"record path kept", "take.flv", presets.FormatMKV, "take.flv"},
		{"default FLV", "", "", ""},
		{"default FLV by format", "", presets.FormatFLV, ""},
		{"default MKV", "", presets.FormatMKV, "studio-2026-11-22_10-04-05.mkv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := presets.Defaults()
			p.Record.Format = tc.format
			e := &Engine{cfg: Config{Preset: p, RecordPath: tc.path}}
			require.Equal(t, tc.want, e.recordingName(now))
		})
	}
}
