package tui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"studio/pipeline/stats"
)

// TestViewGoldens runs the console as a program (teatest) with a fake
// engine and compares the screen with testdata/TestViewGoldens/*.golden
// (regenerate with: go test ./tui -run TestViewGoldens -update). The
// goldens are drawn without colour so that a reviewer can read them; colour
// rules have their own tests in the components.
func TestViewGoldens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, state := range []string{"ready", "live", "reconnecting", "error"} {
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
				tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("z")}) // an unbound key: one more redraw
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
				golden.RequireEqual(t, []byte(fm.View()))
			})
		}
	}
}
