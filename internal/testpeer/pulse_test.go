package testpeer

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPulsePlayToneRecordMonitor(t *testing.T) {
	p := StartPulse(t)
	require.Equal(t, p.Server, os.Getenv("PULSE_SERVER"))
	require.True(t, strings.HasPrefix(p.Server, "unix:/"), p.Server)
	require.Equal(t, "studio_test", p.Sink)
	require.Equal(t, "studio_test.monitor", p.Monitor)

	// A subprocess reaches the server through Env alone.
	cmd := exec.Command(need(t, "pactl"), "info")
	cmd.Env = append(os.Environ(), p.Env()...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Default Sink: studio_test\n")
	require.Contains(t, string(out), "Default Source: studio_test.monitor\n")
	require.Contains(t, p.Pactl(t, "list", "sinks", "short"), "s16le 2ch 48000Hz")
	for _, args := range [][]string{{"get-sink-volume", p.Sink}, {"get-source-volume", p.Monitor}} {
		v := p.Pactl(t, args...)
		t.Logf("%s: %s", args[1], strings.Fields(v)[1:7])
		require.Contains(t, v, "front-left: 65536 / 100% / 0.00 dB", args)
		require.Contains(t, v, "front-right: 65536 / 100% / 0.00 dB", args)
	}

	for _, tc := range []struct {
		hz   int
		dBFS float64
	}{
		{1000, -20},
		{440, -30},
		{3000, -6},
	} {
		t.Run(strings.ReplaceAll(ftoa(float64(tc.hz))+"Hz"+ftoa(tc.dBFS)+"dB", "-", "m"), func(t *testing.T) {
			p.PlayTone(t, tc.hz, tc.dBFS, 0)
			rec := p.Record(t, 1200*time.Millisecond)
			pr := FFprobe(t, rec)
			require.Equal(t, 48000, pr.Audio.SampleRate)
			require.Equal(t, 2, pr.Audio.Channels)
			require.InDelta(t, 1.2, pr.Format.Duration, 0.01)
			freq, rms := AudioTone(t, rec, 0.2, 1)
			t.Logf("asked %d Hz at %g dBFS RMS, recorded %.2f Hz at %.3f dBFS RMS", tc.hz, tc.dBFS, freq, rms)
			require.InDelta(t, float64(tc.hz), freq, 2)
			require.InDelta(t, tc.dBFS, rms, 0.5)
		})
	}

	t.Run("duration", func(t *testing.T) {
		start := time.Now()
		p.PlayTone(t, 1000, -20, 300*time.Millisecond)
		// The tone ends on its own; the monitor goes back to silence.
		time.Sleep(time.Until(start.Add(1500 * time.Millisecond)))
		_, rms := AudioTone(t, p.Record(t, 500*time.Millisecond), 0, 0.5)
		t.Logf("after the tone: %v dBFS", rms)
		require.True(t, math.IsInf(rms, -1) || rms < -90, "still playing: %v dBFS", rms)
	})
}

// TestPulseSinkArgs starts sinks of other native formats: the extra
// module-null-sink arguments replace the default rate, and the monitor
// source has the sink's format.
func TestPulseSinkArgs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sinkArgs []string
		spec     string
	}{
		{"mono", []string{"channels=1"}, "s16le 1ch 48000Hz"},
		{"mono 48k", []string{"rate=48000", "channels=1"}, "s16le 1ch 48000Hz"},
		{"one string", []string{"rate=44100 channels=1"}, "s16le 1ch 44100Hz"},
		{"last wins", []string{"rate=32000", "format=float32le rate=44100"}, "float32le 2ch 44100Hz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := StartPulse(t, tc.sinkArgs...)
			require.Equal(t, p.Server, os.Getenv("PULSE_SERVER"))
			sinks := p.Pactl(t, "list", "short", "sinks")
			require.Regexp(t, `(?m)^\d+\tstudio_test\tmodule-null-sink\.c\t`+tc.spec+`\t`, sinks)
			require.Len(t, strings.Split(strings.TrimSpace(sinks), "\n"), 1, sinks)
			require.Regexp(t, `(?m)^\d+\tstudio_test\.monitor\tmodule-null-sink\.c\t`+tc.spec+`\t`,
				p.Pactl(t, "list", "short", "sources"))
		})
	}
}

func TestPulseNullSinkArgs(t *testing.T) {
	for _, tc := range []struct {
		extra []string
		want  string
		err   string
	}{
		{nil, "sink_name=studio_test rate=48000", ""},
		{[]string{"channels=1"}, "sink_name=studio_test rate=48000 channels=1", ""},
		{[]string{"rate=44100", "channels=1"}, "sink_name=studio_test rate=44100 channels=1", ""},
		{[]string{" rate=44100\tchannels=1 "}, "sink_name=studio_test rate=44100 channels=1", ""},
		{[]string{"channels=1", "rate=32000 channels=2", "rate=44100"}, "sink_name=studio_test rate=44100 channels=2", ""},
		{[]string{`sink_properties="device.description='Test Sink'" channels=1`},
			`sink_name=studio_test rate=48000 sink_properties="device.description='Test Sink'" channels=1`, ""},
		{[]string{`sink_properties='a=b c\' d' format=s16le`},
			`sink_name=studio_test rate=48000 sink_properties='a=b c\' d' format=s16le`, ""},
		{[]string{`x=a\ b`}, `sink_name=studio_test rate=48000 x=a\ b`, ""},
		{[]string{""}, "sink_name=studio_test rate=48000", ""},
		{[]string{"mono"}, "", `sink argument "mono": "mono" is not key=value`},
		{[]string{"=1"}, "", `sink argument "=1": "=1" is not key=value`},
		{[]string{"sink_name=other"}, "", `sink argument "sink_name=other": the sink is always studio_test`},
		{[]string{`sink_properties="device.description=x`}, "", `sink argument "sink_properties=\"device.description=x": unterminated quote or escape`},
	} {
		got, err := nullSinkArgs(tc.extra)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, tc.extra)
			continue
		}
		require.NoError(t, err, tc.extra)
		require.Equal(t, tc.want, got, tc.extra)
	}
}

func TestSinkParsers(t *testing.T) {
	short := "0\tstudio_test\tmodule-null-sink.c\ts16le 2ch 48000Hz\tRUNNING\n1\tother\tmodule-null-sink.c\ts16le 2ch 48000Hz\tIDLE\n"
	require.True(t, sinkRunning(short, "studio_test"))
	require.False(t, sinkRunning(short, "other"))
	require.False(t, sinkRunning(short, "studio"))
	inputs := "Sink Input #3\n\tCorked: yes\n\tProperties:\n\t\tapplication.process.id = \"12\"\n" +
		"Sink Input #4\n\tCorked: no\n\tProperties:\n\t\tapplication.process.id = \"13\"\n"
	require.False(t, sinkInputRunning(inputs, `application.process.id = "12"`))
	require.True(t, sinkInputRunning(inputs, `application.process.id = "13"`))
	require.False(t, sinkInputRunning(inputs, `application.process.id = "1"`))
}
