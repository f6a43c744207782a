package tui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/require"

	"studio/pipeline/stats"
)

// TestViewGoldens runs the console as a program (teatest) with a fake
// engine and compares the screen with testdata/TestViewGoldens/*.golden
// (regenerate with: go test ./tui -run TestViewGoldens -update). The
// goldens are drawn without colour so that a reviewer can read them; colour
// rules have their own tests in the components. "add" is live with the
// add-destination prompt open and a URL typed (its key must not show);
// "adaptive" is live with adaptive bitrate holding the encoder down;
// "filters" is live with filters on the sources and the program, the
// Sources panel focused, beauty moved up and the watermark turned off (also
// at 120x36, where the log has less room).
func TestViewGoldens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 36}, {120, 40}} {
		for _, state := range []string{"ready", "live", "reconnecting", "error", "add", "adaptive", "filters"} {
			if size == [2]int{120, 36} && state != "filters" {
				continue
			}
			t.Run(fmt.Sprintf("%s_%dx%d", state, size[0], size[1]), func(t *testing.T) {
				m, _, clk := newTestModel(1)
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]))
				t.Cleanup(func() { _ = tm.Quit() })
				tm.Send(liveStats("", ""))
				marker := "READY"
				if state != "ready" {
					tm.Type("s")
					teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("going live")) },
						teatest.WithDuration(5*time.Second))
					tm.Type("r")
					teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("REC")) },
						teatest.WithDuration(5*time.Second))
				}
				switch state {
				case "live":
					tm.Send(liveStats(stats.StateLive, ""))
					marker = "2650 kb/s"
				case "add":
					tm.Send(liveStats(stats.StateLive, ""))
					tm.Type("a")
					tm.Type("rtmp://live.example.com/app/sk_live_SECRET?bw=1")
					marker = "app/****"
				case "filters":
					tm.Send(filterStats())
					tm.Send(tea.KeyMsg{Type: tea.KeyTab})
					tm.Type("]w")
					marker = "pattern: watermark off"
				case "adaptive":
					s := liveStats(stats.StateLive, "")
					s.Video.TargetKbps = 1800
					tm.Send(s)
					marker = "(adaptive)"
				case "reconnecting":
					tm.Send(LogMsg{Time: clk.now(), Level: "warn", Text: "out1: connection lost: EOF; reconnecting"})
					tm.Send(liveStats(stats.StateReconnecting, "connection refused by 127.0.0.1:1935 (is the RTMP server running on that port?)"))
					marker = "RECONNECTING"
				case "error":
					tm.Send(LogMsg{Time: clk.now(), Level: "error", Text: "out1: server rejected the publish: NetStream.Publish.BadName: Already publishing"})
					tm.Send(liveStats(stats.StateFailed, "server rejected the publish: NetStream.Publish.BadName: Already publishing"))
					marker = "FAILED"
				}
				teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(marker)) },
					teatest.WithDuration(5*time.Second))
				// Let the meters take a reading and the preview its picture.
				time.Sleep(3 * TickInterval)
				clk.add(time.Hour + 2*time.Minute + 3*time.Second)
				if state != "add" { // the prompt would take it as text
					tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("z")}) // an unbound key: one more redraw
				}
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
				v := fm.View()
				require.NotContains(t, v, "SECRET")
				golden.RequireEqual(t, []byte(v))
			})
		}
	}
}
