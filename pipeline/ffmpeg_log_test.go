package pipeline

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A guest that stays down makes FFmpeg print the same error on every
// retry: the log has it once per repeatAfter, key masked; other lines
// still come through, at most five a second.
func TestFFmpegLogSaysARepeatOnce(t *testing.T) {
	var lines []string
	l := &ffmpegLog{logf: func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }, said: map[string]time.Time{}}
	t0 := time.Now()
	refused := "Cannot open connection rtmp://127.0.0.1:1935/live/secretkey\n"
	for i := 0; i < 20; i++ { // a retry every 2 s for 40 s
		l.say(refused, t0.Add(time.Duration(i)*2*time.Second))
	}
	require.Equal(t, []string{
		"ffmpeg: Cannot open connection rtmp://127.0.0.1:1935/live/****",
		"ffmpeg: Cannot open connection rtmp://127.0.0.1:1935/live/****", // 30 s later
	}, lines)

	lines = nil
	for i := 0; i < 8; i++ {
		l.say(fmt.Sprintf("corrupt frame %d", i), t0.Add(time.Minute))
	}
	l.say("corrupt frame 99", t0.Add(time.Minute+2*time.Second))
	require.Len(t, lines, 7, "five, the count of the rest, then the next second's line")
	require.Equal(t, "ffmpeg: (3 more messages suppressed)", lines[5])
}
