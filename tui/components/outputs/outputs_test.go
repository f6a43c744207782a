package outputs

import (
	"strings"
	"testing"

	"github.com/muesli/termenv"
	"github.com/stretchr/testify/require"

	"studio/pipeline/stats"
	"studio/tui/common"
)

func TestDropColoursFollowOBS(t *testing.T) {
	c := common.NewContext(termenv.TrueColor)
	var m Model
	for _, tc := range []struct {
		sent, dropped int64
		colour        string
		text          string
	}{
		{995, 5, "108;112;120", "drop 5 0.5%"},  // dim: fine
		{980, 20, "229;192;64", "drop 20 2.0%"}, // yellow above 1 %
		{940, 60, "240;81;79", "drop 60 6.0%"},  // red above 5 %
	} {
		row := m.row(c, Row{Out: stats.Output{Name: "out1", URL: "rtmp://h/live/****", State: stats.StateLive,
			FramesSent: tc.sent, FramesDropped: tc.dropped}}, false, 120)
		require.Contains(t, row, "38;2;"+tc.colour+"m"+tc.text, row)
	}
}

func TestRowShowsEverythingAndFitsNarrow(t *testing.T) {
	c := common.NewContext(termenv.Ascii)
	var m Model
	for _, kb := range []float64{1000, 2000, 3000} {
		m.Observe(stats.Stats{Outputs: []stats.Output{{Name: "out1", BitrateKbps: kb}}})
	}
	o := stats.Output{Name: "out1", URL: "rtmp://127.0.0.1:1935/live/****", State: stats.StateReconnecting,
		BitrateKbps: 2480, QueueMs: 320, FramesSent: 100, Reconnects: 2}
	row := m.row(c, Row{Out: o}, false, 120)
	for _, want := range []string{"out1", "reconnecting", "rtmp://127.0.0.1:1935/live/****", "2480 kb/s", "▃▆█", "q 320ms", "drop 0 0.0%", "rc 2"} {
		require.Contains(t, row, want)
	}
	lines := m.View(c, []Row{{Out: o}}, Recording{On: true, Path: "a.flv", Elapsed: "00:00:05", Bytes: 3 << 20}, "", 0, false, 80, 4)
	require.Len(t, lines, 4)
	for _, l := range lines {
		require.Equal(t, 80, len([]rune(l)), l)
	}
	require.Contains(t, lines[2], "REC 00:00:05  3.0 MB  a.flv")
}

func TestSparkline(t *testing.T) {
	require.Equal(t, "  ▁▅█", Sparkline([]float64{0, 50, 100}, 5))
	require.Equal(t, "▁█", Sparkline([]float64{9, 9, 0, 7}, 2), "only the newest readings fit")
	require.Equal(t, strings.Repeat("▁", 3), Sparkline([]float64{0, 0, 0}, 3))
	require.Equal(t, "", Sparkline([]float64{1}, 0))
}

func TestFormatBytes(t *testing.T) {
	require.Equal(t, "512 B", FormatBytes(512))
	require.Equal(t, "2 kB", FormatBytes(2048))
	require.Equal(t, "12.3 MB", FormatBytes(12_900_000))
	require.Equal(t, "1.50 GB", FormatBytes(3<<29))
}

func TestTitleNoteAndRemovingRow(t *testing.T) {
	c := common.NewContext(termenv.TrueColor)
	var m Model
	rows := []Row{{Out: stats.Output{Name: "out2", URL: "rtmp://h/live/****", State: stats.StateLive}, Removing: true}}
	lines := m.View(c, rows, Recording{}, "target 1800k of 2500k (adaptive)", 0, false, 80, 4)
	require.Contains(t, lines[0], "38;2;229;192;64mtarget 1800k of 2500k (adaptive)", "the note in the warning colour")
	require.Contains(t, lines[1], "removing")
	require.NotContains(t, strings.Join(m.View(c, rows, Recording{}, "", 0, false, 80, 4), "\n"), "target")
}
