package device

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gen2brain/malgo"
	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
)

// TestAudioInputsPulse lists a real PulseAudio server's capture devices:
// its only one is the null sink's monitor, a 48 kHz mono source.
func TestAudioInputsPulse(t *testing.T) {
	testpeer.StartPulse(t, "rate=48000", "channels=1")
	inputs, err := AudioInputs()
	require.NoError(t, err)
	for i, in := range inputs {
		require.Equal(t, i, in.Index)
	}
	require.Equal(t, []AudioInput{{
		Index: 0, ID: "studio_test.monitor", Name: "Monitor of Null Output",
		Monitor: true, Default: true, SampleRate: 48000, Channels: 1,
	}}, inputs)

	monitor := inputs[0]
	for _, spec := range []string{"default", "0", "studio_test.monitor", "Monitor of Null Output", "null output", "TEST.MON"} {
		in, id, err := FindAudioInput(spec)
		require.NoError(t, err, spec)
		require.Equal(t, monitor, in, spec)
		if spec == "default" {
			require.Equal(t, malgo.DeviceID{}, id, "default leaves the choice to malgo")
		} else {
			require.Equal(t, "studio_test.monitor", deviceIDString(id), spec)
		}
	}
	_, _, err = FindAudioInput("nope")
	require.EqualError(t, err, `audio device "nope" not found; audio inputs here: 0 "Monitor of Null Output" (studio_test.monitor)`)
	_, _, err = FindAudioInput("3")
	require.EqualError(t, err, `audio device "3" not found (numbers go from 0 to 0); audio inputs here: 0 "Monitor of Null Output" (studio_test.monitor)`)
}

// TestFoundAudioInputOpens checks that the DeviceID FindAudioInput returns
// is one malgo opens, on the context NewAudioContext makes.
func TestFoundAudioInputOpens(t *testing.T) {
	testpeer.StartPulse(t, "rate=48000", "channels=1")
	_, id, err := FindAudioInput("studio_test.monitor")
	require.NoError(t, err)
	ctx, err := NewAudioContext()
	require.NoError(t, err)
	defer func() {
		require.NoError(t, ctx.Uninit())
		ctx.Free()
	}()
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.DeviceID = id.Pointer() // C copy of the id (256 bytes, left to the test process)
	cfg.Capture.Format = malgo.FormatS16
	cfg.Capture.Channels = 1
	cfg.SampleRate = 48000
	var frames atomic.Int64
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{
		Data: func(_, in []byte, n uint32) { frames.Add(int64(n)) },
	})
	require.NoError(t, err)
	defer dev.Uninit()
	require.NoError(t, dev.Start())
	require.Eventually(t, func() bool { return frames.Load() >= 4800 }, 5*time.Second, 10*time.Millisecond,
		"100 ms of audio from the monitor source")
	require.NoError(t, dev.Stop())
}

// TestAudioInputsNoServer: with PulseAudio unreachable, whatever backend
// malgo falls back to here (ALSA without cards, then the null backend)
// offers nothing that is an input.
func TestAudioInputsNoServer(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:"+t.TempDir()+"/dead.sock")
	inputs, err := AudioInputs()
	require.NoError(t, err)
	if len(inputs) > 0 {
		t.Skipf("this machine has audio inputs without PulseAudio: %+v", inputs)
	}
	require.NotNil(t, inputs)
	_, _, err = FindAudioInput("default")
	require.EqualError(t, err, `audio device "default" not found: no audio inputs on this machine`)
}

func testDevices() []audioDevice {
	mk := func(i int, id, name string, monitor, def bool) audioDevice {
		var d audioDevice
		copy(d.id[:], id)
		d.AudioInput = AudioInput{Index: i, ID: id, Name: name, Monitor: monitor, Default: def, SampleRate: 48000, Channels: 2}
		return d
	}
	return []audioDevice{
		mk(0, "alsa_output.pci-0000_00_1f.3.analog-stereo.monitor", "Monitor of Built-in Audio Analog Stereo", true, false),
		mk(1, "alsa_input.pci-0000_00_1f.3.analog-stereo", "Built-in Audio Analog Stereo", false, true),
		mk(2, "alsa_input.usb-Blue_Microphones_Yeti-00.analog-stereo", "Yeti Stereo Microphone Analog Stereo", false, false),
	}
}

func TestFindAudioInput(t *testing.T) {
	devs := testDevices()
	list := `0 "Monitor of Built-in Audio Analog Stereo" (alsa_output.pci-0000_00_1f.3.analog-stereo.monitor), ` +
		`1 "Built-in Audio Analog Stereo" (alsa_input.pci-0000_00_1f.3.analog-stereo), ` +
		`2 "Yeti Stereo Microphone Analog Stereo" (alsa_input.usb-Blue_Microphones_Yeti-00.analog-stereo)`
	cases := []struct {
		spec   string
		index  int // -2: error
		zeroID bool
		err    string
	}{
		{spec: "default", index: 1, zeroID: true},
		{spec: "DEFAULT", index: 1, zeroID: true},
		{spec: "2", index: 2},
		{spec: " 0 ", index: 0},
		{spec: "alsa_input.pci-0000_00_1f.3.analog-stereo", index: 1},
		{spec: devs[2].id.String(), index: 2},            // malgo's hex form
		{spec: "Built-in Audio Analog Stereo", index: 1}, // exact name beats the substring of the monitor's
		{spec: "yeti", index: 2},
		{spec: "usb-blue", index: 2},
		{spec: "monitor", index: 0},
		{spec: "analog stereo", index: -2, err: `audio device "analog stereo" is ambiguous: it matches ` + list + `; use the number or the id`},
		{spec: "built-in", index: -2, err: `audio device "built-in" is ambiguous: it matches ` +
			`0 "Monitor of Built-in Audio Analog Stereo" (alsa_output.pci-0000_00_1f.3.analog-stereo.monitor), ` +
			`1 "Built-in Audio Analog Stereo" (alsa_input.pci-0000_00_1f.3.analog-stereo); use the number or the id`},
		{spec: "usb mic", index: -2, err: `audio device "usb mic" not found; audio inputs here: ` + list},
		{spec: "3", index: -2, err: `audio device "3" not found (numbers go from 0 to 2); audio inputs here: ` + list},
		{spec: "-1", index: -2, err: `audio device "-1" not found (numbers go from 0 to 2); audio inputs here: ` + list},
		{spec: "", index: -2, err: `audio device "" not found; audio inputs here: ` + list},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			in, id, err := findAudioInput(tc.spec, devs)
			if tc.index == -2 {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, devs[tc.index].AudioInput, in)
			if tc.zeroID {
				require.Equal(t, malgo.DeviceID{}, id)
			} else {
				require.Equal(t, devs[tc.index].id, id)
			}
		})
	}
}

func TestFindAudioInputDefaultUnmarked(t *testing.T) {
	devs := testDevices()
	devs[1].Default = false
	in, id, err := findAudioInput("default", devs)
	require.NoError(t, err)
	require.Equal(t, AudioInput{Index: -1, ID: "default", Name: "default capture device", Default: true}, in)
	require.Equal(t, malgo.DeviceID{}, id)

	_, _, err = findAudioInput("usb mic", nil)
	require.EqualError(t, err, `audio device "usb mic" not found: no audio inputs on this machine`)
}

func TestDeviceIDString(t *testing.T) {
	var pulse, zero, binary, trailing malgo.DeviceID
	copy(pulse[:], "studio_test.monitor")
	copy(binary[:], []byte{1, 2, 0xff})
	copy(trailing[:], "hw\x00\x07")
	require.Equal(t, "studio_test.monitor", deviceIDString(pulse))
	require.Equal(t, "00", deviceIDString(zero))
	require.Equal(t, "0102ff", deviceIDString(binary))
	require.Equal(t, "68770007", deviceIDString(trailing))
	require.True(t, notAnInput("00", "NULL Capture Device"))
	require.True(t, notAnInput("null", "Discard all samples (playback) or generate zero samples (capture)"))
	require.False(t, notAnInput("studio_test.monitor", "Monitor of Null Output"))
}
