package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/asticode/go-astiav"
	"golang.org/x/sys/unix"

	"studio/pipeline/device"
)

const devicesHelp = `Usage: studio devices

Lists what can be captured on this machine, each with the exact value to
put in a preset:
  Screens       X displays (from $DISPLAY and /tmp/.X11-unix), with their size
  Cameras       V4L2 capture devices (/dev/video*), with their modes
  Audio inputs  microphones, line-ins and desktop audio (monitor sources)

A section that finds nothing says why when it can; an error in one section
does not stop the others.

Example:
  studio devices
  DISPLAY=:99 studio devices
`

// cmdDevices prints the screens, cameras and audio inputs found here.
func cmdDevices(args []string, stdout io.Writer) error {
	for _, a := range args {
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprint(stdout, devicesHelp)
			return errHelp
		case strings.HasPrefix(a, "-"):
			return usagef("devices has no flag %s\n\n%s", a, devicesHelp)
		default:
			return usagef("devices takes no arguments, got %q\n\n%s", a, devicesHelp)
		}
	}
	// Displays that cannot be opened are reported by the listing; FFmpeg's
	// own complaint about each would only repeat it.
	astiav.SetLogLevel(astiav.LogLevelQuiet)

	printScreens(stdout)
	printCameras(stdout)
	printAudioInputs(stdout)
	return nil
}

// section writes rows (cells separated by tabs) aligned under a title, or
// "none found (why)" when there are none.
func section(w io.Writer, title string, rows []string, none string) {
	fmt.Fprintln(w, title)
	if len(rows) == 0 {
		fmt.Fprintf(w, "  %s\n", none)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\n", r)
	}
	tw.Flush()
}

func printScreens(w io.Writer) {
	screens, err := device.Screens()
	if err != nil {
		section(w, "Screens", nil, "error: "+err.Error())
		return
	}
	var rows []string
	for _, s := range screens {
		rows = append(rows, fmt.Sprintf("%s\t%dx%d\t source: {kind: screen, display: %s}",
			s.Display, s.Width, s.Height, strconv.Quote(s.Display)))
	}
	section(w, "Screens", rows, "none found ("+noScreensReason()+")")
}

func noScreensReason() string {
	sockets, _ := filepath.Glob("/tmp/.X11-unix/X*")
	display := os.Getenv("DISPLAY")
	if display == "" && len(sockets) == 0 {
		return "$DISPLAY not set and no X sockets in /tmp/.X11-unix"
	}
	var tried []string
	if display != "" {
		tried = append(tried, "$DISPLAY="+strconv.Quote(display))
	}
	for _, s := range sockets {
		tried = append(tried, ":"+strings.TrimPrefix(filepath.Base(s), "X"))
	}
	return "no X display could be opened: " + strings.Join(tried, ", ")
}

func printCameras(w io.Writer) {
	cams, err := device.Cameras()
	if err != nil {
		section(w, "Cameras", nil, "error: "+err.Error())
		return
	}
	none := "none found (no /dev/video* devices)"
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) > 0 {
		none = "none found (no /dev/video* node offers video capture)"
	}
	section(w, "Cameras", cameraRows(cams), none)
}

// cameraRows is one tab-separated row per camera: path, name, modes (or
// why it could not be queried), preset value.
func cameraRows(cams []device.Camera) []string {
	var rows []string
	for _, c := range cams {
		name := c.Name
		if name == "" {
			name = "-"
		}
		what := modesSummary(c.Modes)
		if c.Err != nil {
			what = "error: " + c.Err.Error()
		}
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t source: {kind: camera, device: %s}", c.Path, name, what, c.Path))
	}
	return rows
}

// modesSummary gives, for each pixel format, the largest size that runs at
// full motion (25 fps or more) and, when the format goes bigger at lower
// rates, its largest size: "mjpeg 1920x1080@30, yuyv422 640x480@30 (max 1280x960@7.5)".
func modesSummary(modes []device.CameraMode) string {
	if len(modes) == 0 {
		return "no modes listed"
	}
	type best struct{ motion, largest *device.CameraMode }
	var order []string
	byFormat := map[string]*best{}
	for i := range modes {
		m := &modes[i]
		b := byFormat[m.PixelFormat]
		if b == nil {
			b = &best{}
			byFormat[m.PixelFormat] = b
			order = append(order, m.PixelFormat)
		}
		if b.largest == nil || area(m) > area(b.largest) {
			b.largest = m
		}
		if topRate(m) >= 25 && (b.motion == nil || area(m) > area(b.motion)) {
			b.motion = m
		}
	}
	parts := make([]string, len(order))
	for i, f := range order {
		b := byFormat[f]
		switch {
		case b.motion == nil:
			parts[i] = f + " " + sizeAt(b.largest)
		case area(b.largest) > area(b.motion):
			parts[i] = f + " " + sizeAt(b.motion) + " (max " + sizeAt(b.largest) + ")"
		default:
			parts[i] = f + " " + sizeAt(b.motion)
		}
	}
	return strings.Join(parts, ", ")
}

func area(m *device.CameraMode) int { return m.Width * m.Height }

func topRate(m *device.CameraMode) float64 {
	if len(m.FPS) == 0 {
		return 0
	}
	return m.FPS[0]
}

// sizeAt is "1280x720@30", or "1280x720" when the rates are unknown.
func sizeAt(m *device.CameraMode) string {
	s := fmt.Sprintf("%dx%d", m.Width, m.Height)
	if len(m.FPS) > 0 {
		s += "@" + strconv.FormatFloat(m.FPS[0], 'f', -1, 64)
	}
	return s
}

func printAudioInputs(w io.Writer) {
	const title = "Audio inputs (use as `audio:` in a preset or --audio)"
	restore := quietStderr()
	inputs, err := device.AudioInputs()
	restore()
	if err != nil {
		section(w, title, nil, "error: "+err.Error())
		return
	}
	var rows []string
	for _, in := range inputs {
		attrs := []string{"input"}
		if in.Monitor {
			attrs[0] = "monitor"
		}
		if in.Default {
			attrs = append(attrs, "default")
		}
		if in.SampleRate > 0 {
			attrs = append(attrs, fmt.Sprintf("%d Hz %d ch", in.SampleRate, in.Channels))
		}
		rows = append(rows, fmt.Sprintf("%d\t%s\t%s\t%s\t audio: %s",
			in.Index, in.Name, in.ID, strings.Join(attrs, ", "), strconv.Quote(in.ID)))
	}
	none := "none found (no capture devices; is PulseAudio or PipeWire running?)"
	if s := os.Getenv("PULSE_SERVER"); s != "" {
		none = "none found (no capture devices; is PulseAudio or PipeWire running at PULSE_SERVER=" + s + "?)"
	}
	section(w, title, rows, none)
}

// quietStderr points file descriptor 2 at /dev/null until restore is
// called: while probing, ALSA and JACK print every failure (no card, no
// server) straight to it, and the listing already says what was found.
func quietStderr() (restore func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return func() {}
	}
	saved, err := unix.Dup(2)
	if err != nil {
		null.Close()
		return func() {}
	}
	if err := unix.Dup2(int(null.Fd()), 2); err != nil {
		unix.Close(saved)
		null.Close()
		return func() {}
	}
	return func() {
		_ = unix.Dup2(saved, 2)
		unix.Close(saved)
		null.Close()
	}
}
