package device

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/asticode/go-astiav"
)

// Screen is an X display that can be captured with x11grab.
type Screen struct {
	Display       string // ":0", ":99"
	Width, Height int
}

// x11SocketDir is where local X servers put their sockets; tests point it
// elsewhere.
var x11SocketDir = "/tmp/.X11-unix"

// Screens lists $DISPLAY (first) and every display with a socket in
// /tmp/.X11-unix (X<N> → ":N", in order of N), deduplicated (":0.0" in
// $DISPLAY and the socket X0 are one display), each with its size.
// Displays that cannot be opened (stale sockets, no permission) are left
// out. No displays: an empty slice and a nil error.
func Screens() ([]Screen, error) {
	var candidates []string
	seen := map[string]bool{}
	if d := os.Getenv("DISPLAY"); d != "" {
		candidates = append(candidates, d)
		seen[displayKey(d)] = true
	}
	for _, d := range socketDisplays() {
		if !seen[displayKey(d)] {
			candidates = append(candidates, d)
			seen[displayKey(d)] = true
		}
	}
	screens := []Screen{}
	for _, d := range candidates {
		w, h, err := ScreenSize(d)
		if err != nil {
			continue
		}
		screens = append(screens, Screen{Display: d, Width: w, Height: h})
	}
	return screens, nil
}

// socketDisplays lists ":N" for each X<N> socket in x11SocketDir, by N.
func socketDisplays() []string {
	entries, err := os.ReadDir(x11SocketDir)
	if err != nil {
		return nil
	}
	var nums []int
	for _, e := range entries {
		s, ok := strings.CutPrefix(e.Name(), "X")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && strconv.Itoa(n) == s {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = ":" + strconv.Itoa(n)
	}
	return out
}

// displayKey identifies the server a display name reaches: the screen
// suffix is dropped, and a local host ("", "unix") is the same as none.
func displayKey(d string) string {
	host, rest, ok := strings.Cut(d, ":")
	if !ok {
		return d
	}
	if host == "unix" {
		host = ""
	}
	num, _, _ := strings.Cut(rest, ".")
	return host + ":" + num
}

var registerDevices sync.Once

// ScreenSize opens display (e.g. ":99", or "" meaning $DISPLAY) with
// FFmpeg's x11grab and returns its size in pixels.
func ScreenSize(display string) (w, h int, err error) {
	if display == "" {
		display = os.Getenv("DISPLAY")
		if display == "" {
			return 0, 0, errors.New("no X display: $DISPLAY is not set (use --display :N)")
		}
	}
	registerDevices.Do(astiav.RegisterAllDevices)
	inf := astiav.FindInputFormat("x11grab")
	if inf == nil {
		return 0, 0, errors.New("screen capture: this FFmpeg has no x11grab input (libavdevice without xcb)")
	}
	fc := astiav.AllocFormatContext()
	if fc == nil {
		return 0, 0, errors.New("screen capture: cannot allocate a format context")
	}
	// A failed open frees the context and leaves it nil; Free is a no-op then.
	defer fc.Free()
	if err := fc.OpenInput(display, inf, nil); err != nil {
		return 0, 0, fmt.Errorf("cannot open X display %q (is an X server running there?)", display)
	}
	defer fc.CloseInput()
	for _, s := range fc.Streams() {
		if cp := s.CodecParameters(); cp.MediaType() == astiav.MediaTypeVideo {
			return cp.Width(), cp.Height(), nil
		}
	}
	return 0, 0, fmt.Errorf("X display %q: x11grab found no video stream", display)
}
