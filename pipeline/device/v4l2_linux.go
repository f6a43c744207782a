package device

// The V4L2 ioctls this package uses, with the kernel's struct layouts
// (include/uapi/linux/videodev2.h). Everything V4L2-specific is in this
// file; v4l2_linux_test.go checks the sizes and request numbers.

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// v4l2Capability is struct v4l2_capability (104 bytes).
type v4l2Capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

// v4l2Fmtdesc is struct v4l2_fmtdesc (64 bytes).
type v4l2Fmtdesc struct {
	Index       uint32
	Type        uint32
	Flags       uint32
	Description [32]byte
	PixelFormat uint32
	MbusCode    uint32
	Reserved    [3]uint32
}

// v4l2Frmsizeenum is struct v4l2_frmsizeenum (44 bytes). Size is the union:
// discrete {width, height}, or stepwise {min_width, max_width, step_width,
// min_height, max_height, step_height}.
type v4l2Frmsizeenum struct {
	Index       uint32
	PixelFormat uint32
	Type        uint32
	Size        [6]uint32
	Reserved    [2]uint32
}

// v4l2Frmivalenum is struct v4l2_frmivalenum (52 bytes). Interval is the
// union: discrete {numerator, denominator} (seconds per frame), or stepwise
// {min, max, step}, each a fraction.
type v4l2Frmivalenum struct {
	Index       uint32
	PixelFormat uint32
	Width       uint32
	Height      uint32
	Type        uint32
	Interval    [6]uint32
	Reserved    [2]uint32
}

// ioctl request encoding (asm-generic/ioctl.h).
const (
	iocWrite = 1
	iocRead  = 2
)

const (
	vidiocQuerycap            = iocRead<<30 | uintptr(unsafe.Sizeof(v4l2Capability{}))<<16 | 'V'<<8 | 0
	vidiocEnumFmt             = (iocRead|iocWrite)<<30 | uintptr(unsafe.Sizeof(v4l2Fmtdesc{}))<<16 | 'V'<<8 | 2
	vidiocEnumFramesizes      = (iocRead|iocWrite)<<30 | uintptr(unsafe.Sizeof(v4l2Frmsizeenum{}))<<16 | 'V'<<8 | 74
	vidiocEnumFrameintervals  = (iocRead|iocWrite)<<30 | uintptr(unsafe.Sizeof(v4l2Frmivalenum{}))<<16 | 'V'<<8 | 75
	v4l2CapVideoCapture       = 0x00000001
	v4l2CapDeviceCaps         = 0x80000000
	v4l2BufTypeVideoCapture   = 1
	v4l2FmtFlagCompressed     = 0x0001
	v4l2FrmsizeTypeDiscrete   = 1
	v4l2FrmsizeTypeContinuous = 2
	v4l2FrmsizeTypeStepwise   = 3
	v4l2FrmivalTypeDiscrete   = 1
)

// Guards against drivers that never answer EINVAL.
const (
	maxFormats   = 64
	maxSizes     = 256
	maxIntervals = 64
)

// compressedFourccs are the formats that need a decoder.
var compressedFourccs = map[string]bool{"MJPG": true, "JPEG": true, "H264": true, "MPG4": true, "CPIA": true}

func fourccString(f uint32) string {
	return string([]byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)})
}

// rate converts an interval (seconds per frame, num/den) to frames per
// second, rounded to 1/1000 (30000/1001 → 29.97).
func rate(num, den uint32) float64 {
	if num == 0 || den == 0 {
		return 0
	}
	return math.Round(float64(den)/float64(num)*1000) / 1000
}

// sortRates sorts highest first and drops duplicates.
func sortRates(r []float64) []float64 {
	sort.Sort(sort.Reverse(sort.Float64Slice(r)))
	out := r[:0]
	for _, v := range r {
		if len(out) == 0 || v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

func queryV4L2(path string) (nodeInfo, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nodeInfo{}, openError(path, err)
	}
	defer unix.Close(fd)
	var c v4l2Capability
	if err := ioctl(fd, vidiocQuerycap, unsafe.Pointer(&c)); err != nil {
		if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
			return nodeInfo{}, fmt.Errorf("%s is not a V4L2 device", path)
		}
		return nodeInfo{}, fmt.Errorf("query %s: %w", path, err)
	}
	caps := c.Capabilities
	if caps&v4l2CapDeviceCaps != 0 {
		caps = c.DeviceCaps // this node's own capabilities, not the whole device's
	}
	info := nodeInfo{card: cString(c.Card[:]), capture: caps&v4l2CapVideoCapture != 0}
	if !info.capture {
		return info, nil
	}
	info.modes, err = enumModes(fd)
	if err != nil {
		return info, fmt.Errorf("list modes of %s: %w", path, err)
	}
	return info, nil
}

// openError turns the usual open failures into advice.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Errorf("open %s: permission denied (is your user in the %q group?)", path, "video")
	case errors.Is(err, unix.EBUSY):
		return fmt.Errorf("open %s: device busy (another program is using it)", path)
	case errors.Is(err, unix.ENOENT):
		return &os.PathError{Op: "open", Path: path, Err: os.ErrNotExist}
	}
	return fmt.Errorf("open %s: %w", path, err)
}

func enumModes(fd int) ([]CameraMode, error) {
	var modes []CameraMode
	for i := uint32(0); i < maxFormats; i++ {
		d := v4l2Fmtdesc{Index: i, Type: v4l2BufTypeVideoCapture}
		if err := ioctl(fd, vidiocEnumFmt, unsafe.Pointer(&d)); err != nil {
			if errors.Is(err, unix.EINVAL) {
				break
			}
			return modes, fmt.Errorf("VIDIOC_ENUM_FMT: %w", err)
		}
		fourcc := fourccString(d.PixelFormat)
		name := ffmpegFormatName(fourcc)
		compressed := compressedFourccs[fourcc] || d.Flags&v4l2FmtFlagCompressed != 0
		sizes, err := enumSizes(fd, d.PixelFormat)
		if err != nil {
			return modes, err
		}
		for _, s := range sizes {
			fps, err := enumRates(fd, d.PixelFormat, s[0], s[1])
			if err != nil {
				return modes, err
			}
			modes = addMode(modes, CameraMode{PixelFormat: name, Compressed: compressed, Width: s[0], Height: s[1], FPS: fps})
		}
	}
	return modes, nil
}

// addMode appends m, or merges its rates into an existing mode with the
// same format and size (MJPG and JPEG are both "mjpeg" to FFmpeg).
func addMode(modes []CameraMode, m CameraMode) []CameraMode {
	for i := range modes {
		if modes[i].PixelFormat == m.PixelFormat && modes[i].Width == m.Width && modes[i].Height == m.Height {
			modes[i].FPS = sortRates(append(modes[i].FPS, m.FPS...))
			return modes
		}
	}
	return append(modes, m)
}

// commonSizes are offered for stepwise and continuous frame sizes, besides
// the maximum.
var commonSizes = [][2]int{
	{3840, 2160}, {2560, 1440}, {1920, 1080}, {1600, 900}, {1280, 960}, {1280, 720},
	{1024, 768}, {1024, 576}, {960, 540}, {800, 600}, {640, 480}, {640, 360}, {320, 240},
}

func enumSizes(fd int, pixfmt uint32) ([][2]int, error) {
	var sizes [][2]int
	for i := uint32(0); i < maxSizes; i++ {
		s := v4l2Frmsizeenum{Index: i, PixelFormat: pixfmt}
		if err := ioctl(fd, vidiocEnumFramesizes, unsafe.Pointer(&s)); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) {
				break
			}
			return sizes, fmt.Errorf("VIDIOC_ENUM_FRAMESIZES: %w", err)
		}
		if s.Type == v4l2FrmsizeTypeDiscrete {
			sizes = append(sizes, [2]int{int(s.Size[0]), int(s.Size[1])})
			continue
		}
		if s.Type == v4l2FrmsizeTypeContinuous || s.Type == v4l2FrmsizeTypeStepwise {
			sizes = append(sizes, steppedSizes(s.Size)...)
		}
		break // stepwise and continuous come as one entry
	}
	sort.SliceStable(sizes, func(a, b int) bool { return sizes[a][0]*sizes[a][1] > sizes[b][0]*sizes[b][1] })
	return sizes, nil
}

// steppedSizes is the maximum of a stepwise range and the common sizes
// that fit in it.
func steppedSizes(r [6]uint32) [][2]int {
	minW, maxW, stepW, minH, maxH, stepH := int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])
	stepW, stepH = max(stepW, 1), max(stepH, 1)
	out := [][2]int{{maxW, maxH}}
	for _, c := range commonSizes {
		w, h := c[0], c[1]
		if w >= minW && w <= maxW && h >= minH && h <= maxH && (w-minW)%stepW == 0 && (h-minH)%stepH == 0 &&
			(w != maxW || h != maxH) {
			out = append(out, c)
		}
	}
	return out
}

// commonRates are offered for stepwise and continuous frame intervals,
// besides the fastest and slowest.
var commonRates = []float64{120, 60, 50, 30, 25, 24, 20, 15, 10, 5}

func enumRates(fd int, pixfmt uint32, w, h int) ([]float64, error) {
	var rates []float64
	for i := uint32(0); i < maxIntervals; i++ {
		iv := v4l2Frmivalenum{Index: i, PixelFormat: pixfmt, Width: uint32(w), Height: uint32(h)}
		if err := ioctl(fd, vidiocEnumFrameintervals, unsafe.Pointer(&iv)); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) {
				break
			}
			return rates, fmt.Errorf("VIDIOC_ENUM_FRAMEINTERVALS: %w", err)
		}
		if iv.Type == v4l2FrmivalTypeDiscrete {
			if r := rate(iv.Interval[0], iv.Interval[1]); r > 0 {
				rates = append(rates, r)
			}
			continue
		}
		// Stepwise or continuous: min interval is the fastest rate.
		fastest, slowest := rate(iv.Interval[0], iv.Interval[1]), rate(iv.Interval[2], iv.Interval[3])
		if fastest > 0 {
			rates = append(rates, fastest)
		}
		if slowest > 0 {
			rates = append(rates, slowest)
		}
		for _, r := range commonRates {
			if r < fastest && r > slowest {
				rates = append(rates, r)
			}
		}
		break
	}
	return sortRates(rates), nil
}
