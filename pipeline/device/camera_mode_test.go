package device

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// webcam is what a typical USB webcam (Logitech C270/C920 class) offers:
// raw YUYV fast only at small sizes, MJPEG fast at every size.
var webcam = []CameraMode{
	{PixelFormat: "yuyv422", Width: 640, Height: 480, FPS: []float64{30, 25, 20, 15, 10, 5}},
	{PixelFormat: "yuyv422", Width: 1280, Height: 720, FPS: []float64{10, 5}},
	{PixelFormat: "yuyv422", Width: 1280, Height: 960, FPS: []float64{7.5, 5}},
	{PixelFormat: "yuyv422", Width: 320, Height: 240, FPS: []float64{30, 15}},
	{PixelFormat: "mjpeg", Compressed: true, Width: 1280, Height: 720, FPS: []float64{30, 25, 20, 15, 10, 5}},
	{PixelFormat: "mjpeg", Compressed: true, Width: 640, Height: 480, FPS: []float64{30, 15}},
	{PixelFormat: "mjpeg", Compressed: true, Width: 1920, Height: 1080, FPS: []float64{30, 15}},
}

func TestChooseMode(t *testing.T) {
	raw := func(f string, w, h int, fps ...float64) CameraMode {
		return CameraMode{PixelFormat: f, Width: w, Height: h, FPS: fps}
	}
	comp := func(f string, w, h int, fps ...float64) CameraMode {
		return CameraMode{PixelFormat: f, Compressed: true, Width: w, Height: h, FPS: fps}
	}
	cases := []struct {
		name    string
		modes   []CameraMode
		want    CameraRequest
		format  string
		w, h    int
		fps     float64
		fpsList int // index into the chosen mode's FPS that must equal fps; -1 for "no rates"
	}{
		{"720p30 needs MJPEG", webcam, CameraRequest{Width: 1280, Height: 720, FPS: 30}, "mjpeg", 1280, 720, 30, 0},
		{"480p30 raw reaches the rate", webcam, CameraRequest{Width: 640, Height: 480, FPS: 30}, "yuyv422", 640, 480, 30, 0},
		{"asked raw at 720p30 gets raw at its best rate", webcam, CameraRequest{Width: 1280, Height: 720, FPS: 30, PixelFormat: "yuyv422"}, "yuyv422", 1280, 720, 10, 0},
		{"asked by fourcc", webcam, CameraRequest{Width: 640, Height: 480, FPS: 30, PixelFormat: "MJPG"}, "mjpeg", 640, 480, 30, 0},
		{"asked by lower-case fourcc", webcam, CameraRequest{Width: 1280, Height: 720, FPS: 30, PixelFormat: "yuyv"}, "yuyv422", 1280, 720, 10, 0},
		{"asked format keeps its format at another size", webcam, CameraRequest{Width: 1920, Height: 1080, FPS: 30, PixelFormat: "yuyv422"}, "yuyv422", 1280, 960, 7.5, 0},
		{"asked format not offered: as if not asked", webcam, CameraRequest{Width: 1280, Height: 720, FPS: 30, PixelFormat: "h264"}, "mjpeg", 1280, 720, 30, 0},
		{"asked format not offered: raw still preferred", []CameraMode{comp("mjpeg", 640, 480, 30), raw("yuyv422", 640, 480, 30)}, CameraRequest{Width: 640, Height: 480, FPS: 30, PixelFormat: "h264"}, "yuyv422", 640, 480, 30, 0},
		{"720p5 raw reaches the rate", webcam, CameraRequest{Width: 1280, Height: 720, FPS: 5}, "yuyv422", 1280, 720, 5, 1},
		{"size only: highest rate", webcam, CameraRequest{Width: 1280, Height: 720}, "mjpeg", 1280, 720, 30, 0},
		{"nothing asked: largest, fastest", webcam, CameraRequest{}, "mjpeg", 1920, 1080, 30, 0},
		{"rate only: largest size reaching it", webcam, CameraRequest{FPS: 15}, "mjpeg", 1920, 1080, 15, 1},
		{"size not offered: closest larger", webcam, CameraRequest{Width: 1024, Height: 576, FPS: 30}, "mjpeg", 1280, 720, 30, 0},
		{"larger than all: the largest", webcam, CameraRequest{Width: 3840, Height: 2160, FPS: 30}, "mjpeg", 1920, 1080, 30, 0},
		{"rate between offered: highest below", webcam, CameraRequest{Width: 1280, Height: 720, FPS: 24}, "mjpeg", 1280, 720, 20, 2},
		{"rate above all offered: the highest", webcam, CameraRequest{Width: 1280, Height: 720, FPS: 60}, "mjpeg", 1280, 720, 30, 0},
		{"29.97 reaches 30: raw kept", webcam, CameraRequest{Width: 640, Height: 480, FPS: 29.97}, "yuyv422", 640, 480, 30, 0},
		{"only faster rates: the closest", []CameraMode{raw("yuyv422", 640, 480, 60, 50)}, CameraRequest{Width: 640, Height: 480, FPS: 30}, "yuyv422", 640, 480, 50, 1},
		{"below beats above", []CameraMode{raw("yuyv422", 640, 480, 60, 25)}, CameraRequest{Width: 640, Height: 480, FPS: 30}, "yuyv422", 640, 480, 25, 1},
		{"closest of two reaching rates", []CameraMode{raw("nv12", 640, 480, 30, 29.97)}, CameraRequest{FPS: 29.97}, "nv12", 640, 480, 29.97, 1},
		{"raw below rate vs MJPEG closer", []CameraMode{raw("yuyv422", 1280, 720, 10), comp("mjpeg", 1280, 720, 15)}, CameraRequest{Width: 1280, Height: 720, FPS: 30}, "mjpeg", 1280, 720, 15, 0},
		{"MJPEG before H.264", []CameraMode{comp("h264", 1280, 720, 30), comp("mjpeg", 1280, 720, 30)}, CameraRequest{Width: 1280, Height: 720, FPS: 30}, "mjpeg", 1280, 720, 30, 0},
		{"H.264 when asked", []CameraMode{comp("h264", 1280, 720, 30), comp("mjpeg", 1280, 720, 30)}, CameraRequest{Width: 1280, Height: 720, FPS: 30, PixelFormat: "H264"}, "h264", 1280, 720, 30, 0},
		{"tie: first listed (nv12)", []CameraMode{raw("nv12", 640, 480, 30), raw("yuyv422", 640, 480, 30)}, CameraRequest{Width: 640, Height: 480, FPS: 30}, "nv12", 640, 480, 30, 0},
		{"tie: first listed (yuyv)", []CameraMode{raw("yuyv422", 640, 480, 30), raw("nv12", 640, 480, 30)}, CameraRequest{Width: 640, Height: 480, FPS: 30}, "yuyv422", 640, 480, 30, 0},
		{"all smaller: the largest", []CameraMode{raw("yuyv422", 640, 480, 30), raw("yuyv422", 1280, 720, 30), raw("yuyv422", 320, 240, 30)}, CameraRequest{Width: 1920, Height: 1080, FPS: 30}, "yuyv422", 1280, 720, 30, 0},
		{"closest larger by area", []CameraMode{raw("yuyv422", 1920, 1080, 30), raw("yuyv422", 1280, 1024, 30)}, CameraRequest{Width: 1280, Height: 720}, "yuyv422", 1280, 1024, 30, 0},
		{"wider but shorter is smaller", []CameraMode{raw("yuyv422", 1920, 600, 30), raw("yuyv422", 1920, 1080, 30)}, CameraRequest{Width: 1280, Height: 720}, "yuyv422", 1920, 1080, 30, 0},
		{"exact size beats a faster larger one", []CameraMode{raw("yuyv422", 1920, 1080, 30), raw("yuyv422", 1280, 720, 10)}, CameraRequest{Width: 1280, Height: 720, FPS: 30}, "yuyv422", 1280, 720, 10, 0},
		{"width only: the largest with that width", []CameraMode{raw("yuyv422", 1280, 720, 30), raw("yuyv422", 1280, 960, 30), raw("yuyv422", 1920, 1080, 30)}, CameraRequest{Width: 1280}, "yuyv422", 1280, 960, 30, 0},
		{"no rates listed", []CameraMode{raw("yuyv422", 640, 480)}, CameraRequest{Width: 640, Height: 480, FPS: 30}, "yuyv422", 640, 480, 0, -1},
		{"a mode with rates beats one without", []CameraMode{raw("yuyv422", 640, 480), raw("nv12", 640, 480, 15)}, CameraRequest{Width: 640, Height: 480, FPS: 30}, "nv12", 640, 480, 15, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, fps, ok := ChooseMode(tc.modes, tc.want)
			require.True(t, ok)
			require.Equal(t, tc.format, m.PixelFormat)
			require.Equal(t, [2]int{tc.w, tc.h}, [2]int{m.Width, m.Height})
			require.Equal(t, tc.fps, fps)
			if tc.fpsList >= 0 {
				require.Equal(t, m.FPS[tc.fpsList], fps, "the rate comes from the mode's list")
			}
		})
	}
}

func TestChooseModeEmpty(t *testing.T) {
	m, fps, ok := ChooseMode(nil, CameraRequest{Width: 1280, Height: 720, FPS: 30})
	require.False(t, ok)
	require.Zero(t, fps)
	require.Equal(t, CameraMode{}, m)
	_, _, ok = ChooseMode([]CameraMode{}, CameraRequest{})
	require.False(t, ok)
}

func TestChooseModeReturnsTheModeUnchanged(t *testing.T) {
	m, _, _ := ChooseMode(webcam, CameraRequest{Width: 1280, Height: 720, FPS: 30})
	require.Equal(t, webcam[4], m)
}

func TestNormalizeFormat(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "mjpeg": "mjpeg", "MJPEG": "mjpeg", "MJPG": "mjpeg", "jpeg": "mjpeg", "yuyv": "yuyv422", "YUY2": "yuyv422",
		"yuyv422": "yuyv422", "NV12": "nv12", "YU12": "yuv420p", "i420": "yuv420p", "h264": "h264", "GREY": "gray",
		"Y16": "gray16le", " rgb24 ": "rgb24", "RGB3": "rgb24", "Y12": "y12",
	} {
		require.Equal(t, want, normalizeFormat(in), "normalizeFormat(%q)", in)
	}
}

func TestCameraModeString(t *testing.T) {
	require.Equal(t, "mjpeg 1280x720@30,15", CameraMode{PixelFormat: "mjpeg", Width: 1280, Height: 720, FPS: []float64{30, 15}}.String())
	require.Equal(t, "nv12 640x480@29.97", CameraMode{PixelFormat: "nv12", Width: 640, Height: 480, FPS: []float64{29.97}}.String())
	require.Equal(t, "yuyv422 320x240", CameraMode{PixelFormat: "yuyv422", Width: 320, Height: 240}.String())
}
