package device

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeCameras points Cameras at a fake /dev and sysfs tree and answers
// queries from nodes (keyed by base name). The ioctls themselves need a
// real V4L2 device, which this machine does not have.
func fakeCameras(t *testing.T, devs []string, names map[string]string, nodes map[string]nodeInfo, errs map[string]error) {
	t.Helper()
	dev, sys := t.TempDir(), t.TempDir()
	for _, d := range devs {
		require.NoError(t, os.WriteFile(filepath.Join(dev, d), nil, 0o600))
	}
	for n, name := range names {
		require.NoError(t, os.MkdirAll(filepath.Join(sys, n), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(sys, n, "name"), []byte(name+"\n"), 0o644))
	}
	oldDev, oldSys, oldQuery := devRoot, sysfsRoot, queryNode
	t.Cleanup(func() { devRoot, sysfsRoot, queryNode = oldDev, oldSys, oldQuery })
	devRoot, sysfsRoot = dev, sys
	queryNode = func(path string) (nodeInfo, error) {
		require.Equal(t, dev, filepath.Dir(path))
		base := filepath.Base(path)
		if err, ok := errs[base]; ok {
			return nodes[base], err
		}
		info, ok := nodes[base]
		require.True(t, ok, "unexpected query of %s", path)
		return info, nil
	}
}

func TestCamerasListing(t *testing.T) {
	mjpeg := []CameraMode{{PixelFormat: "mjpeg", Compressed: true, Width: 1280, Height: 720, FPS: []float64{30}}}
	yuyv := []CameraMode{{PixelFormat: "yuyv422", Width: 640, Height: 480, FPS: []float64{30, 15}}}
	busy := errors.New("open /dev/video4: device busy (another program is using it)")
	fakeCameras(t,
		[]string{"video10", "video2", "video0", "video1", "video4", "video7", "vbi0", "video", "video01", "videox", "media0"},
		map[string]string{"video0": "HD Webcam C270", "video1": "HD Webcam C270", "video2": "USB Capture HDMI", "video4": "Integrated Camera"},
		map[string]nodeInfo{
			"video0":  {card: "C270 card", capture: true, modes: mjpeg},
			"video1":  {card: "C270 card"}, // metadata node: no video capture
			"video2":  {card: "capture card", capture: true, modes: yuyv},
			"video10": {card: "Card From Driver", capture: true},
		},
		map[string]error{"video4": busy, "video7": &os.PathError{Op: "open", Path: "video7", Err: os.ErrNotExist}},
	)
	cams, err := Cameras()
	require.NoError(t, err)
	dev := devRoot
	require.Equal(t, []Camera{
		{Path: filepath.Join(dev, "video0"), Name: "HD Webcam C270", Modes: mjpeg},
		{Path: filepath.Join(dev, "video2"), Name: "USB Capture HDMI", Modes: yuyv},
		{Path: filepath.Join(dev, "video4"), Name: "Integrated Camera", Err: busy},
		{Path: filepath.Join(dev, "video10"), Name: "Card From Driver"}, // no sysfs name: the driver's
	}, cams)

	require.EqualError(t, CameraNotFound("/dev/video3", cams), `camera "/dev/video3" not found; cameras here: `+
		dev+`/video0 (HD Webcam C270), `+dev+`/video2 (USB Capture HDMI), `+dev+`/video4 (Integrated Camera), `+dev+`/video10 (Card From Driver)`)
	require.EqualError(t, CameraNotFound("/dev/video3", []Camera{{Path: "/dev/video9"}}),
		`camera "/dev/video3" not found; cameras here: /dev/video9`)
	// Nodes exist, none captures.
	require.EqualError(t, CameraNotFound("/dev/video0", nil),
		`camera "/dev/video0" not found: no cameras on this machine (no `+dev+`/video* node offers video capture)`)
}

func TestCamerasNone(t *testing.T) {
	fakeCameras(t, []string{"null", "vbi0", "media0"}, nil, nil, nil)
	cams, err := Cameras()
	require.NoError(t, err)
	require.NotNil(t, cams)
	require.Empty(t, cams)
	require.EqualError(t, CameraNotFound("/dev/video0", cams),
		`camera "/dev/video0" not found: no cameras on this machine (no /dev/video* devices)`)

	// Only non-capture nodes: none either.
	fakeCameras(t, []string{"video0", "video1"}, nil, map[string]nodeInfo{"video0": {card: "meta"}, "video1": {card: "meta"}}, nil)
	cams, err = Cameras()
	require.NoError(t, err)
	require.NotNil(t, cams)
	require.Empty(t, cams)

	// No /dev at all (a container without devices).
	devRoot = filepath.Join(t.TempDir(), "missing")
	cams, err = Cameras()
	require.NoError(t, err)
	require.NotNil(t, cams)
	require.Empty(t, cams)
}

// TestCamerasHere runs the real listing: on this machine (no /dev/video*)
// it must say none, not fail.
func TestCamerasHere(t *testing.T) {
	cams, err := Cameras()
	require.NoError(t, err)
	nodes, _ := filepath.Glob("/dev/video*")
	if len(nodes) == 0 {
		require.Empty(t, cams)
		require.EqualError(t, CameraNotFound("/dev/video0", cams),
			`camera "/dev/video0" not found: no cameras on this machine (no /dev/video* devices)`)
		return
	}
	t.Logf("cameras here: %+v", cams)
	for _, c := range cams {
		require.Contains(t, nodes, c.Path)
	}
}
