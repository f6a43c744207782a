package device

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// CameraMode is one capture mode a V4L2 device offers.
type CameraMode struct {
	PixelFormat   string    // FFmpeg's v4l2 input_format name: "mjpeg", "yuyv422", "nv12", "h264", ... (fourcc string when FFmpeg has no name)
	Compressed    bool      // MJPEG/H.264: needs decoding, cheap on USB bandwidth
	Width, Height int       // frame size in pixels
	FPS           []float64 // frame rates offered at this size (from VIDIOC_ENUM_FRAMEINTERVALS), highest first
}

// String is "mjpeg 1280x720@30,15".
func (m CameraMode) String() string {
	s := fmt.Sprintf("%s %dx%d", m.PixelFormat, m.Width, m.Height)
	for i, r := range m.FPS {
		if i == 0 {
			s += "@"
		} else {
			s += ","
		}
		s += strconv.FormatFloat(r, 'f', -1, 64)
	}
	return s
}

// Camera is a V4L2 video capture node.
type Camera struct {
	Path  string // /dev/video0
	Name  string // from /sys/class/video4linux/videoN/name
	Modes []CameraMode
	Err   error // set when the node exists but could not be queried (permissions, busy)
}

// Where Cameras looks; tests point these at a fake tree.
var (
	devRoot   = "/dev"
	sysfsRoot = "/sys/class/video4linux"
)

// Cameras lists the /dev/video* nodes that offer video capture, skipping
// metadata-only nodes (V4L2_CAP_VIDEO_CAPTURE in device_caps when
// V4L2_CAP_DEVICE_CAPS is set). A node that exists but cannot be queried
// (permissions, busy) is listed with Err set. The list is sorted by path,
// numerically (/dev/video2 before /dev/video10). No cameras: an empty
// slice and a nil error.
func Cameras() ([]Camera, error) {
	nodes, err := videoNodes()
	if err != nil {
		return nil, err
	}
	cams := []Camera{}
	for _, n := range nodes {
		path := filepath.Join(devRoot, n)
		info, err := queryNode(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // unplugged since it was listed
		}
		if err == nil && !info.capture {
			continue
		}
		name := sysfsName(n)
		if name == "" {
			name = info.card
		}
		cams = append(cams, Camera{Path: path, Name: name, Modes: info.modes, Err: err})
	}
	return cams, nil
}

// videoNodes lists the videoN entries of devRoot, sorted by N.
func videoNodes() ([]string, error) {
	entries, err := os.ReadDir(devRoot)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list cameras: %w", err)
	}
	type node struct {
		name string
		n    int
	}
	var nodes []node
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "video")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(num); err == nil && n >= 0 && strconv.Itoa(n) == num {
			nodes = append(nodes, node{e.Name(), n})
		}
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].n < nodes[j].n })
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.name
	}
	return names, nil
}

func sysfsName(node string) string {
	b, err := os.ReadFile(filepath.Join(sysfsRoot, node, "name"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// CameraNotFound builds the error for a camera path that is not among cams
// (as Cameras returned them), listing what exists:
//
//	camera "/dev/video3" not found; cameras here: /dev/video0 (HD Webcam C270), /dev/video2 (...)
//	camera "/dev/video0" not found: no cameras on this machine (no /dev/video* devices)
func CameraNotFound(path string, cams []Camera) error {
	if len(cams) == 0 {
		why := "no /dev/video* devices"
		if nodes, _ := videoNodes(); len(nodes) > 0 {
			why = "no " + filepath.Join(devRoot, "video*") + " node offers video capture"
		}
		return fmt.Errorf("camera %q not found: no cameras on this machine (%s)", path, why)
	}
	list := make([]string, len(cams))
	for i, c := range cams {
		list[i] = c.Path
		if c.Name != "" {
			list[i] += " (" + c.Name + ")"
		}
	}
	return fmt.Errorf("camera %q not found; cameras here: %s", path, strings.Join(list, ", "))
}

// fourccNames maps V4L2 pixel formats to the names FFmpeg's v4l2 input
// accepts as input_format (libavdevice/v4l2-common.c): pixel format names
// for raw formats, decoder names for compressed ones.
var fourccNames = map[string]string{
	"YU12": "yuv420p", "YV12": "yuv420p", "422P": "yuv422p", "YUYV": "yuyv422", "UYVY": "uyvy422",
	"411P": "yuv411p", "YUV9": "yuv410p", "YVU9": "yuv410p",
	"RGBO": "rgb555le", "RGBQ": "rgb555be", "RGBP": "rgb565le", "RGBR": "rgb565be",
	"BGR3": "bgr24", "RGB3": "rgb24", "XR24": "bgr0", "BX24": "0rgb", "AR24": "bgra", "BA24": "argb",
	"BGR4": "bgr0", "RGB4": "0rgb", "GREY": "gray", "Y16 ": "gray16le", "Z16 ": "gray16le", "NV12": "nv12",
	"BA81": "bayer_bggr8", "GBRG": "bayer_gbrg8", "GRBG": "bayer_grbg8", "RGGB": "bayer_rggb8",
	"MJPG": "mjpeg", "JPEG": "mjpeg", "H264": "h264", "MPG4": "mpeg4", "CPIA": "cpia",
}

// ffmpegFormatName is FFmpeg's name for a fourcc, or the fourcc itself
// (trimmed) when FFmpeg has none.
func ffmpegFormatName(fourcc string) string {
	if n, ok := fourccNames[fourcc]; ok {
		return n
	}
	return strings.TrimRight(fourcc, " \x00")
}

// nodeInfo is what queryNode learns about one /dev/video* node.
type nodeInfo struct {
	card    string // the driver's name for the device (VIDIOC_QUERYCAP)
	capture bool   // offers single-planar video capture (what FFmpeg's v4l2 input reads)
	modes   []CameraMode
}

// queryNode opens a node and asks the driver what it offers. Tests replace
// it: the ioctls need a real device.
var queryNode = queryV4L2
