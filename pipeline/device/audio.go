package device

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gen2brain/malgo"
)

// AudioInput is one capture device malgo sees (microphones, line-ins, and
// PulseAudio/PipeWire monitor sources).
type AudioInput struct {
	Index      int    // position in the list, usable as the preset value
	ID         string // backend id (for PulseAudio the source name, e.g. "alsa_input.usb-...", "studio_test.monitor")
	Name       string // human name, e.g. "Monitor of Null Output"
	Monitor    bool   // desktop audio (a sink's monitor)
	Default    bool   // the backend's default capture device
	SampleRate int    // native rate when known (0 if not)
	Channels   int    // native channel count when known (0 if not)
}

// NewAudioContext initialises the malgo context every capture and listing
// uses, so that one place decides the backends: nil, malgo's default order
// (PulseAudio, then ALSA, JACK, ..., and miniaudio's null backend last).
// PulseAudio is not autospawned. The caller must Uninit and Free it.
func NewAudioContext() (*malgo.AllocatedContext, error) {
	return NewAudioContextWith(nil)
}

// NewAudioContextWith is NewAudioContext over the given backends only
// (nil: the default order).
func NewAudioContextWith(backends []malgo.Backend) (*malgo.AllocatedContext, error) {
	ctx, err := malgo.InitContext(backends, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, fmt.Errorf("audio: init context: %w", err)
	}
	return ctx, nil
}

// SoundServer is the backend list of the PulseAudio protocol, which
// PipeWire serves too.
var SoundServer = []malgo.Backend{malgo.BackendPulseaudio}

// SoundServerRunning says whether a PulseAudio (or PipeWire) server
// answers. A capture that starts on one keeps to it: retrying through the
// default order while the server restarts would probe ALSA and JACK, which
// print their failures straight onto the terminal.
func SoundServerRunning() bool {
	ctx, err := NewAudioContextWith(SoundServer)
	if err != nil {
		return false
	}
	_ = ctx.Uninit()
	ctx.Free()
	return true
}

// audioDevice is an AudioInput with the id malgo opens it by.
type audioDevice struct {
	AudioInput
	id malgo.DeviceID
}

// AudioInputs lists capture devices through a NewAudioContext context:
// those that answer a query for their native format (so that what is
// listed can be opened), without the placeholders that stand for no
// device (miniaudio's null backend, ALSA's "null" PCM). None: an empty
// slice and a nil error.
func AudioInputs() ([]AudioInput, error) {
	devs, err := audioDevices()
	if err != nil {
		return nil, err
	}
	out := make([]AudioInput, len(devs))
	for i, d := range devs {
		out[i] = d.AudioInput
	}
	return out, nil
}

func audioDevices() ([]audioDevice, error) {
	ctx, err := NewAudioContext()
	if err != nil {
		return nil, err
	}
	defer func() {
		_ = ctx.Uninit()
		ctx.Free()
	}()
	return audioDevicesIn(ctx)
}

// audioDevicesIn lists the capture devices ctx sees.
func audioDevicesIn(ctx *malgo.AllocatedContext) ([]audioDevice, error) {
	infos, err := ctx.Devices(malgo.Capture)
	if err != nil {
		return nil, fmt.Errorf("audio: list capture devices: %w", err)
	}
	devs := []audioDevice{}
	for _, info := range infos {
		name := info.Name()
		id := deviceIDString(info.ID)
		if notAnInput(id, name) {
			continue
		}
		d := audioDevice{id: info.ID, AudioInput: AudioInput{
			Index:   len(devs),
			ID:      id,
			Name:    name,
			Monitor: strings.HasSuffix(id, ".monitor") || strings.HasPrefix(name, "Monitor of"),
			Default: info.IsDefault != 0,
		}}
		// The list leaves native formats out on most backends; ask each.
		// ALSA answers by opening the PCM, so this also weeds out the
		// plugins its hints list as inputs ("pulse" with no server,
		// "jack", "oss", the rate converters): they cannot be opened.
		full, err := ctx.DeviceInfo(malgo.Capture, info.ID, malgo.Shared)
		if err != nil {
			continue
		}
		for _, f := range full.Formats {
			if f.SampleRate > 0 || f.Channels > 0 {
				d.SampleRate, d.Channels = int(f.SampleRate), int(f.Channels)
				break
			}
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// notAnInput tells the placeholders backends list from real inputs:
// miniaudio's null backend device (taken when no real backend works) and
// ALSA's "null" PCM, which opens fine and yields silence.
func notAnInput(id, name string) bool {
	return id == "00" && name == "NULL Capture Device" || id == "null"
}

// deviceIDString is the id as text: backends that name their devices
// (PulseAudio source names, ALSA "hw:1,0") store a C string, shown as is;
// any other id is shown as malgo's hex form (DeviceID.String).
func deviceIDString(id malgo.DeviceID) string {
	b := id[:]
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	s := string(b[:n])
	printable := n > 0 && utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	for _, c := range b[n:] {
		printable = printable && c == 0
	}
	if printable {
		return s
	}
	return id.String()
}

// FindAudioInput resolves a preset or --audio value to a capture device:
//
//   - "default": the default capture device. The DeviceID returned is the
//     zero value, which tells malgo to open its default device (the
//     AudioInput describes the device the backend marks as default, or is
//     a placeholder with Index -1 when none is marked);
//   - a number: the device with that Index;
//   - an exact ID (or malgo's hex form of it), or an exact Name;
//   - a case-insensitive substring of Name or ID that matches exactly one
//     device.
//
// Errors list what exists, or the matches when a substring is ambiguous.
func FindAudioInput(spec string) (AudioInput, malgo.DeviceID, error) {
	devs, err := audioDevices()
	if err != nil {
		return AudioInput{}, malgo.DeviceID{}, err
	}
	return findAudioInput(spec, devs)
}

// FindAudioInputIn is FindAudioInput among the devices ctx sees: a
// capture looks its device up in the context it will open it in.
func FindAudioInputIn(ctx *malgo.AllocatedContext, spec string) (AudioInput, malgo.DeviceID, error) {
	devs, err := audioDevicesIn(ctx)
	if err != nil {
		return AudioInput{}, malgo.DeviceID{}, err
	}
	return findAudioInput(spec, devs)
}

func findAudioInput(spec string, devs []audioDevice) (AudioInput, malgo.DeviceID, error) {
	spec = strings.TrimSpace(spec)
	if len(devs) == 0 {
		return AudioInput{}, malgo.DeviceID{}, fmt.Errorf("audio device %q not found: no audio inputs on this machine", spec)
	}
	if strings.EqualFold(spec, "default") {
		for _, d := range devs {
			if d.Default {
				return d.AudioInput, malgo.DeviceID{}, nil
			}
		}
		return AudioInput{Index: -1, ID: "default", Name: "default capture device", Default: true}, malgo.DeviceID{}, nil
	}
	if n, err := strconv.Atoi(spec); err == nil {
		if n >= 0 && n < len(devs) {
			return devs[n].AudioInput, devs[n].id, nil
		}
		return AudioInput{}, malgo.DeviceID{}, fmt.Errorf("audio device %q not found (numbers go from 0 to %d); audio inputs here: %s",
			spec, len(devs)-1, listAudio(devs))
	}
	for _, match := range []func(audioDevice) bool{
		func(d audioDevice) bool { return d.ID == spec || d.id.String() == spec },
		func(d audioDevice) bool { return d.Name == spec },
		func(d audioDevice) bool {
			l := strings.ToLower(spec)
			return spec != "" && (strings.Contains(strings.ToLower(d.Name), l) || strings.Contains(strings.ToLower(d.ID), l))
		},
	} {
		var found []audioDevice
		for _, d := range devs {
			if match(d) {
				found = append(found, d)
			}
		}
		switch {
		case len(found) == 1:
			return found[0].AudioInput, found[0].id, nil
		case len(found) > 1:
			return AudioInput{}, malgo.DeviceID{}, fmt.Errorf("audio device %q is ambiguous: it matches %s; use the number or the id",
				spec, listAudio(found))
		}
	}
	return AudioInput{}, malgo.DeviceID{}, fmt.Errorf("audio device %q not found; audio inputs here: %s", spec, listAudio(devs))
}

// listAudio is `0 "Monitor of Null Output" (studio_test.monitor), 1 ...`.
func listAudio(devs []audioDevice) string {
	parts := make([]string, len(devs))
	for i, d := range devs {
		parts[i] = fmt.Sprintf("%d %q (%s)", d.Index, d.Name, d.ID)
	}
	return strings.Join(parts, ", ")
}
