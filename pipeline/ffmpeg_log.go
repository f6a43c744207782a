package pipeline

import (
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/asticode/go-astiav"

	"studio/presets"
)

var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'"]+`)

// repeatAfter is how long a line FFmpeg repeats stays unsaid: a guest or
// input that is down prints the same error on every retry, and the source
// already reports the outage itself, once.
const repeatAfter = 30 * time.Second

// routeFFmpegLogs sends FFmpeg's errors to logf instead of stderr (see
// ffmpegLog.say).
func routeFFmpegLogs(logf func(string, ...any)) {
	l := &ffmpegLog{logf: logf, said: map[string]time.Time{}}
	astiav.SetLogLevel(astiav.LogLevelError)
	astiav.SetLogCallback(func(c astiav.Classer, _ astiav.LogLevel, _, msg string) {
		if !fromCaptureDevice(c) {
			l.say(msg, time.Now())
		}
	})
}

// ffmpegLog filters FFmpeg's lines for the user's log.
type ffmpegLog struct {
	logf func(string, ...any)

	mu                   sync.Mutex
	windowStart          time.Time
	inWindow, suppressed int
	said                 map[string]time.Time // line → when it was last said
}

// say logs one FFmpeg line with any URL masked (FFmpeg prints input URLs,
// keys included), unless the same line was said within repeatAfter, and
// at most a few lines a second (a corrupt file can make a decoder print
// thousands).
func (l *ffmpegLog) say(msg string, now time.Time) {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return
	}
	msg = urlInText.ReplaceAllStringFunc(msg, presets.MaskURL)
	l.mu.Lock()
	defer l.mu.Unlock()
	if at, ok := l.said[msg]; ok && now.Sub(at) < repeatAfter {
		return
	}
	if len(l.said) >= 256 {
		clear(l.said) // bounded: distinct lines are few in a healthy run
	}
	l.said[msg] = now
	if now.Sub(l.windowStart) > time.Second {
		if l.suppressed > 0 {
			l.logf("ffmpeg: (%d more messages suppressed)", l.suppressed)
		}
		l.windowStart, l.inWindow, l.suppressed = now, 0, 0
	}
	if l.inWindow >= 5 {
		l.suppressed++
		return
	}
	l.inWindow++
	l.logf("ffmpeg: %s", msg)
}

// fromCaptureDevice says whether a log line comes from a capture device
// (x11grab, v4l2), whose failures the sources report themselves, once, in
// words a streamer can act on; FFmpeg would repeat them on every retry.
func fromCaptureDevice(c astiav.Classer) bool {
	if c == nil {
		return false
	}
	cl := c.Class()
	if cl == nil {
		return false
	}
	switch cl.Name() {
	case "xcbgrab indev", "V4L2 indev":
		return true
	}
	return strings.Contains(cl.ItemName(), "x11grab") || strings.Contains(cl.ItemName(), "video4linux2")
}
