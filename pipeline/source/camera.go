package source

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/asticode/go-astiav"

	"studio/pipeline/device"
)

// CameraConfig says which V4L2 camera to capture and what to ask of it.
type CameraConfig struct {
	CaptureConfig
	// Device is the V4L2 node, /dev/video0 by default.
	Device string
	// Request is the size, rate and pixel format wanted; what the camera
	// offers decides (see device.ChooseMode).
	Request device.CameraRequest
}

// OpenCamera starts capturing a V4L2 camera with FFmpeg's video4linux2
// input, in the mode closest to the request that the camera offers.
func OpenCamera(cfg CameraConfig) (*Live, error) {
	path := cfg.Device
	if path == "" {
		path = "/dev/video0"
	}
	if _, err := os.Stat(path); err != nil {
		cams, _ := device.Cameras()
		return nil, device.CameraNotFound(path, cams)
	}
	opts := map[string]string{}
	want := cfg.Request
	if want.FPS == 0 {
		want.FPS = cfg.FrameRate.Float64()
	}
	cams, _ := device.Cameras()
	chosen := false
	for _, c := range cams {
		if c.Path != path || len(c.Modes) == 0 {
			continue
		}
		if m, fps, ok := device.ChooseMode(c.Modes, want); ok {
			opts["input_format"] = m.PixelFormat
			opts["video_size"] = fmt.Sprintf("%dx%d", m.Width, m.Height)
			opts["framerate"] = strconv.FormatFloat(fps, 'f', -1, 64)
			chosen = true
		}
	}
	if !chosen {
		// The modes could not be listed: ask the driver for the request
		// as it is and let it adjust.
		if want.Width > 0 && want.Height > 0 {
			opts["video_size"] = fmt.Sprintf("%dx%d", want.Width, want.Height)
		}
		if want.FPS > 0 {
			opts["framerate"] = strconv.FormatFloat(want.FPS, 'f', -1, 64)
		}
		if want.PixelFormat != "" {
			opts["input_format"] = want.PixelFormat
		}
	}
	open := func() (*deviceInput, error) {
		in, err := openDeviceInput("video4linux2", path, opts, true)
		if err != nil {
			return nil, cameraError(path, err)
		}
		return in, nil
	}
	in, err := open()
	if err != nil {
		return nil, err
	}
	return startLive(cfg.CaptureConfig, "camera "+path, in, open, nil)
}

// cameraError explains why a camera would not open.
func cameraError(path string, err error) error {
	var av astiav.Error
	if errors.As(err, &av) {
		switch int(av) {
		case -int(syscall.EBUSY):
			return fmt.Errorf("camera %s is busy: another program is using it (close it, or pick another device; `studio devices` lists them)", path)
		case -int(syscall.EACCES), -int(syscall.EPERM):
			return fmt.Errorf("no permission to open camera %s (add your user to the video group: sudo usermod -aG video $USER)", path)
		case -int(syscall.ENODEV), -int(syscall.ENOENT), -int(syscall.ENXIO):
			cams, _ := device.Cameras()
			if _, serr := os.Stat(path); serr == nil {
				return fmt.Errorf("%s is not a camera it can capture from (a metadata node, or the camera was unplugged); %v", path, device.CameraNotFound(path, cams))
			}
			return device.CameraNotFound(path, cams)
		}
	}
	return fmt.Errorf("cannot capture camera %s: %w", path, err)
}
