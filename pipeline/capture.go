package pipeline

import (
	"fmt"

	"github.com/asticode/go-astiav"

	"studio/pipeline/device"
	"studio/pipeline/source"
	"studio/presets"
)

// openCapture opens a screen or camera source with its audio device.
func openCapture(cfg Config, sc presets.SourceConfig, cc source.CaptureConfig) (source.Source, error) {
	if cc.FrameRate.Num() <= 0 {
		cc.FrameRate = astiav.NewRational(30, 1)
	}
	cc.Audio = sc.Audio
	if cc.Audio == presets.AudioAuto {
		cc.Audio = autoAudio(cfg.Logf)
	}
	fps := astiav.NewRational(sc.FPS.Num, sc.FPS.Den)
	var (
		l   *source.Live
		err error
	)
	switch sc.Kind {
	case presets.KindScreen:
		l, err = source.OpenScreen(source.ScreenConfig{CaptureConfig: cc, Display: sc.Display,
			Region: source.Region{X: sc.Region.X, Y: sc.Region.Y, W: sc.Region.W, H: sc.Region.H},
			FPS:    fps, Cursor: sc.Cursor})
	case presets.KindCamera:
		req := device.CameraRequest{Width: sc.Size.Width, Height: sc.Size.Height, FPS: sc.FPS.Float(), PixelFormat: sc.PixelFormat}
		if req.Width == 0 {
			req.Width, req.Height = cc.Width, cc.Height
		}
		l, err = source.OpenCamera(source.CameraConfig{CaptureConfig: cc, Device: sc.Device, Request: req})
	default:
		return nil, fmt.Errorf("source kind %q is not a capture", sc.Kind)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// autoAudio is the audio device "auto" stands for: the default input when
// the machine has one, silence otherwise (said once in the log).
func autoAudio(logf func(string, ...any)) string {
	inputs, err := device.AudioInputs()
	if err != nil || len(inputs) == 0 {
		logf("no audio input found; the stream carries silence (pick a device with --audio or audio:, see `studio devices`)")
		return presets.AudioNone
	}
	return "default"
}
