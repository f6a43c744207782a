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

// routeFFmpegLogs sends FFmpeg's errors to logf instead of stderr, with any
// URL masked (FFmpeg prints input URLs, keys included) and at most a few
// lines a second (a corrupt file can make a decoder print thousands).
func routeFFmpegLogs(logf func(string, ...any)) {
	var mu sync.Mutex
	var windowStart time.Time
	var inWindow, suppressed int
	astiav.SetLogLevel(astiav.LogLevelError)
	astiav.SetLogCallback(func(c astiav.Classer, _ astiav.LogLevel, _, msg string) {
		msg = strings.TrimSpace(msg)
		if msg == "" || fromCaptureDevice(c) {
			return
		}
		msg = urlInText.ReplaceAllStringFunc(msg, presets.MaskURL)
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); now.Sub(windowStart) > time.Second {
			if suppressed > 0 {
				logf("ffmpeg: (%d more messages suppressed)", suppressed)
			}
			windowStart, inWindow, suppressed = now, 0, 0
		}
		if inWindow >= 5 {
			suppressed++
			return
		}
		inWindow++
		logf("ffmpeg: %s", msg)
	})
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
