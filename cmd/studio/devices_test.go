package main

// `studio devices` end to end: the real binary against a real Xvfb and
// PulseAudio started here, and in an environment with neither.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/pipeline/device"
)

func TestDevicesListsScreenAndAudio(t *testing.T) {
	display := testpeer.StartXvfb(t, 1024, 576).Display
	testpeer.StartPulse(t, "rate=48000", "channels=1") // sets PULSE_SERVER
	t.Setenv("DISPLAY", display)

	r := studio(t, "devices")
	require.Equal(t, 0, r.code, r.all())
	require.Empty(t, r.stderr, "probing noise (FFmpeg, ALSA, JACK) must not reach the terminal")
	out := r.stdout
	t.Logf("studio devices:\n%s", out)

	screens, cameras, audio := sections(t, out)
	// $DISPLAY comes first, with its size and the preset value.
	require.Regexp(t, `^  `+regexp.QuoteMeta(display)+` +1024x576 +source: \{kind: screen, display: "`+regexp.QuoteMeta(display)+`"\}$`, screens[0])
	sameColumn(t, screens, "source:")
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) == 0 {
		require.Equal(t, []string{"  none found (no /dev/video* devices)"}, cameras)
	}
	require.Equal(t, []string{`  0  Monitor of Null Output  studio_test.monitor  monitor, default, 48000 Hz 1 ch   audio: "studio_test.monitor"`}, audio)
}

func TestDevicesEmptyEnvironment(t *testing.T) {
	t.Setenv("DISPLAY", "")
	require.NoError(t, os.Unsetenv("DISPLAY"))
	dead := "unix:" + filepath.Join(t.TempDir(), "dead.sock")
	t.Setenv("PULSE_SERVER", dead)

	// X servers other tests (or people) run on this machine have sockets in
	// /tmp/.X11-unix; a private mount namespace hides them (needs root).
	hidden := exec.Command("unshare", "-m", "true").Run() == nil
	var r result
	if hidden {
		r = studioUnshared(t, "devices")
	} else {
		t.Log("unshare -m not permitted: X sockets of this machine stay visible")
		r = studio(t, "devices")
	}
	require.Equal(t, 0, r.code, r.all())
	require.Empty(t, r.stderr, "probing noise (FFmpeg, ALSA, JACK) must not reach the terminal")
	t.Logf("studio devices:\n%s", r.stdout)

	screens, cameras, audio := sections(t, r.stdout)
	if hidden {
		require.Equal(t, []string{"  none found ($DISPLAY not set and no X sockets in /tmp/.X11-unix)"}, screens)
	} else if socks, _ := filepath.Glob("/tmp/.X11-unix/X*"); len(socks) == 0 {
		require.Equal(t, []string{"  none found ($DISPLAY not set and no X sockets in /tmp/.X11-unix)"}, screens)
	}
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) == 0 {
		require.Equal(t, []string{"  none found (no /dev/video* devices)"}, cameras)
	}
	require.Equal(t, []string{"  none found (no capture devices; is PulseAudio or PipeWire running at PULSE_SERVER=" + dead + "?)"}, audio)
}

func TestDevicesUsage(t *testing.T) {
	r := studio(t, "devices", "--help")
	require.Equal(t, 0, r.code, r.all())
	require.Contains(t, r.stdout, "Usage: studio devices")
	require.Contains(t, r.stdout, "Example:\n  studio devices\n")

	r = studio(t, "devices", "--json")
	require.Equal(t, 2, r.code, r.all())
	require.Contains(t, r.stderr, "studio: devices has no flag --json")
	r = studio(t, "devices", "cameras")
	require.Equal(t, 2, r.code, r.all())
	require.Contains(t, r.stderr, `studio: devices takes no arguments, got "cameras"`)

	r = studio(t, "--help")
	require.Contains(t, r.stdout, "  studio devices ")
	r = studio(t, "nope")
	require.Contains(t, r.stderr, "devices")
}

// sections splits `studio devices` output into the lines of its three
// sections, checking the titles and their order.
func sections(t *testing.T, out string) (screens, cameras, audio []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	titles := []string{"Screens", "Cameras", "Audio inputs (use as `audio:` in a preset or --audio)"}
	var parts [3][]string
	cur := -1
	for _, l := range lines {
		if cur+1 < len(titles) && l == titles[cur+1] {
			cur++
			continue
		}
		require.GreaterOrEqual(t, cur, 0, "output starts with %q, not the Screens title", l)
		require.True(t, strings.HasPrefix(l, "  "), "line %q is neither a title nor indented", l)
		parts[cur] = append(parts[cur], l)
	}
	require.Equal(t, 2, cur, "missing section titles in:\n%s", out)
	for i, p := range parts {
		require.NotEmpty(t, p, "section %q is empty", titles[i])
	}
	return parts[0], parts[1], parts[2]
}

// sameColumn checks that word starts at the same column on every line.
func sameColumn(t *testing.T, lines []string, word string) {
	t.Helper()
	col := strings.Index(lines[0], word)
	require.Positive(t, col, lines[0])
	for _, l := range lines[1:] {
		require.Equal(t, col, strings.Index(l, word), "not aligned:\n%s\n%s", lines[0], l)
	}
}

// studioUnshared runs the binary like studio does, but in a private mount
// namespace whose /tmp/.X11-unix is an empty tmpfs, so that X servers
// other tests (or people) run on this machine are out of sight (needs
// root). studio cannot: it always runs studioBin itself, not a wrapper.
func studioUnshared(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "unshare", append([]string{"-m", "sh", "-c",
		`if [ -d /tmp/.X11-unix ]; then mount -t tmpfs tmpfs /tmp/.X11-unix || exit 97; fi; exec "$0" "$@"`,
		studioBin}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var exit *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &exit) {
		require.NoError(t, err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// No camera here: the cameras line is checked on modes as Cameras returns
// them (formats in the driver's order).
func TestDevicesModesSummary(t *testing.T) {
	m := func(f string, w, h int, fps ...float64) device.CameraMode {
		return device.CameraMode{PixelFormat: f, Width: w, Height: h, FPS: fps}
	}
	require.Equal(t, "yuyv422 640x480@30 (max 1280x960@7.5), mjpeg 1280x720@30", modesSummary([]device.CameraMode{
		m("yuyv422", 640, 480, 30, 15), m("yuyv422", 1280, 720, 10), m("yuyv422", 1280, 960, 7.5), m("yuyv422", 320, 240, 30),
		m("mjpeg", 640, 480, 30), m("mjpeg", 1280, 720, 30, 15),
	}))
	require.Equal(t, "nv12 3840x2160@15, h264 1920x1080@29.97", modesSummary([]device.CameraMode{
		m("nv12", 1920, 1080, 10), m("nv12", 3840, 2160, 15), m("h264", 1920, 1080, 29.97),
	}))
	require.Equal(t, "gray 640x480", modesSummary([]device.CameraMode{m("gray", 320, 240), m("gray", 640, 480)}))
	require.Equal(t, "no modes listed", modesSummary(nil))
}

func TestDevicesCameraRows(t *testing.T) {
	var b strings.Builder
	section(&b, "Cameras", cameraRows([]device.Camera{
		{Path: "/dev/video0", Name: "HD Webcam C270", Modes: []device.CameraMode{
			{PixelFormat: "yuyv422", Width: 640, Height: 480, FPS: []float64{30}},
			{PixelFormat: "mjpeg", Compressed: true, Width: 1280, Height: 720, FPS: []float64{30}},
		}},
		{Path: "/dev/video2", Err: errors.New(`open /dev/video2: permission denied (is your user in the "video" group?)`)},
	}), "none found")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 3)
	require.Equal(t, "Cameras", lines[0])
	require.Regexp(t, `^  /dev/video0  HD Webcam C270  yuyv422 640x480@30, mjpeg 1280x720@30 +source: \{kind: camera, device: /dev/video0\}$`, lines[1])
	require.Regexp(t, `^  /dev/video2  -               error: open /dev/video2: permission denied \(is your user in the "video" group\?\)   source: \{kind: camera, device: /dev/video2\}$`, lines[2])
	sameColumn(t, lines[1:], "source:")
}
