package device

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The layouts and request numbers of include/uapi/linux/videodev2.h on
// every Linux architecture (all fields are 32-bit).
func TestV4L2ABI(t *testing.T) {
	require.Equal(t, uintptr(104), unsafe.Sizeof(v4l2Capability{}))
	require.Equal(t, uintptr(64), unsafe.Sizeof(v4l2Fmtdesc{}))
	require.Equal(t, uintptr(44), unsafe.Sizeof(v4l2Frmsizeenum{}))
	require.Equal(t, uintptr(52), unsafe.Sizeof(v4l2Frmivalenum{}))
	require.Equal(t, uintptr(84), unsafe.Offsetof(v4l2Capability{}.Capabilities))
	require.Equal(t, uintptr(88), unsafe.Offsetof(v4l2Capability{}.DeviceCaps))
	require.Equal(t, uintptr(44), unsafe.Offsetof(v4l2Fmtdesc{}.PixelFormat))
	require.Equal(t, uintptr(12), unsafe.Offsetof(v4l2Frmsizeenum{}.Size))
	require.Equal(t, uintptr(20), unsafe.Offsetof(v4l2Frmivalenum{}.Interval))

	require.Equal(t, uintptr(0x80685600), uintptr(vidiocQuerycap))
	require.Equal(t, uintptr(0xc0405602), uintptr(vidiocEnumFmt))
	require.Equal(t, uintptr(0xc02c564a), uintptr(vidiocEnumFramesizes))
	require.Equal(t, uintptr(0xc034564b), uintptr(vidiocEnumFrameintervals))
}

func TestFourcc(t *testing.T) {
	// v4l2_fourcc('M','J','P','G') is little-endian packed.
	require.Equal(t, "MJPG", fourccString(uint32('M')|uint32('J')<<8|uint32('P')<<16|uint32('G')<<24))
	for fourcc, name := range map[string]string{
		"MJPG": "mjpeg", "JPEG": "mjpeg", "YUYV": "yuyv422", "NV12": "nv12", "H264": "h264", "YU12": "yuv420p",
		"UYVY": "uyvy422", "RGB3": "rgb24", "BGR3": "bgr24", "GREY": "gray", "Y16 ": "gray16le",
		"NV21": "NV21", "Y12 ": "Y12", // FFmpeg's v4l2 input has no name for these
	} {
		require.Equal(t, name, ffmpegFormatName(fourcc), fourcc)
	}
	require.True(t, compressedFourccs["MJPG"] && compressedFourccs["H264"] && !compressedFourccs["YUYV"])
}

func TestRates(t *testing.T) {
	require.Equal(t, 30.0, rate(1, 30))
	require.Equal(t, 29.97, rate(1001, 30000))
	require.Equal(t, 7.5, rate(2, 15))
	require.Equal(t, 0.0, rate(0, 30))
	require.Equal(t, 0.0, rate(1, 0))
	require.Equal(t, []float64{60, 30, 29.97, 15}, sortRates([]float64{15, 30, 60, 29.97, 30, 15}))
	require.Empty(t, sortRates(nil))
}

func TestSteppedSizes(t *testing.T) {
	// Continuous 16x16..1920x1080 (step 1): the maximum, then the common sizes in range.
	require.Equal(t, [][2]int{{1920, 1080}, {1600, 900}, {1280, 960}, {1280, 720}, {1024, 768}, {1024, 576},
		{960, 540}, {800, 600}, {640, 480}, {640, 360}, {320, 240}},
		steppedSizes([6]uint32{16, 1920, 1, 16, 1080, 1}))
	// Stepwise 320x240..1280x720 in steps of 320x240 keeps only the aligned ones.
	require.Equal(t, [][2]int{{1280, 720}, {640, 480}, {320, 240}},
		steppedSizes([6]uint32{320, 1280, 320, 240, 720, 240}))
	// Step 0 from a sloppy driver counts as 1.
	require.Equal(t, [][2]int{{640, 480}, {640, 360}, {320, 240}}, steppedSizes([6]uint32{320, 640, 0, 240, 480, 0}))
}

func TestAddModeMergesSameFormatAndSize(t *testing.T) {
	var modes []CameraMode
	modes = addMode(modes, CameraMode{PixelFormat: "mjpeg", Compressed: true, Width: 640, Height: 480, FPS: []float64{30, 15}})
	modes = addMode(modes, CameraMode{PixelFormat: "yuyv422", Width: 640, Height: 480, FPS: []float64{30}})
	modes = addMode(modes, CameraMode{PixelFormat: "mjpeg", Compressed: true, Width: 640, Height: 480, FPS: []float64{60, 15}}) // JPEG after MJPG
	require.Equal(t, []CameraMode{
		{PixelFormat: "mjpeg", Compressed: true, Width: 640, Height: 480, FPS: []float64{60, 30, 15}},
		{PixelFormat: "yuyv422", Width: 640, Height: 480, FPS: []float64{30}},
	}, modes)
}

// The real query path as far as this machine allows: a node that is not a
// V4L2 device (VIDIOC_QUERYCAP answers ENOTTY) and one that is gone.
func TestQueryV4L2NotADevice(t *testing.T) {
	_, err := queryV4L2("/dev/null")
	require.EqualError(t, err, "/dev/null is not a V4L2 device")
	f := filepath.Join(t.TempDir(), "video0")
	require.NoError(t, os.WriteFile(f, nil, 0o600))
	_, err = queryV4L2(f)
	require.EqualError(t, err, f+" is not a V4L2 device")
	_, err = queryV4L2(filepath.Join(t.TempDir(), "video9"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestOpenErrors(t *testing.T) {
	require.EqualError(t, openError("/dev/video0", unix.EACCES), `open /dev/video0: permission denied (is your user in the "video" group?)`)
	require.EqualError(t, openError("/dev/video0", unix.EBUSY), "open /dev/video0: device busy (another program is using it)")
	require.ErrorIs(t, openError("/dev/video0", unix.ENOENT), os.ErrNotExist)
	require.ErrorIs(t, openError("/dev/video0", unix.ENXIO), unix.ENXIO)
}
