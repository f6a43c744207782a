package presets

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestBitrate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Bitrate
		str  string
	}{
		{"4.5M", 4_500_000, "4500k"},
		{"2500k", 2_500_000, "2500k"},
		{"2500K", 2_500_000, "2500k"},
		{"3000000", 3_000_000, "3000k"},
		{"160k", 160_000, "160k"},
		{"1234", 1234, "1234"},
		{"-1k", -1000, "-1k"},
	} {
		b, err := ParseBitrate(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, b, tc.in)
		require.Equal(t, tc.str, b.String(), tc.in)
		back, err := ParseBitrate(b.String())
		require.NoError(t, err)
		require.Equal(t, b, back)
	}
	require.InDelta(t, 4500.0, Bitrate(4_500_000).Kbps(), 1e-9)
	for _, bad := range []string{"", "abc", "1.2.3k", "k", "2500kbps", "1e9", "99999999999999999999M"} {
		_, err := ParseBitrate(bad)
		require.Error(t, err, bad)
	}
}

func TestFrameRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want FrameRate
		str  string
	}{
		{"29.97", FrameRate{30000, 1001}, "29.97"},
		{"30000/1001", FrameRate{30000, 1001}, "29.97"},
		{"59.94", FrameRate{60000, 1001}, "59.94"},
		{"23.976", FrameRate{24000, 1001}, "23.976"},
		{"30", FrameRate{30, 1}, "30"},
		{"25", FrameRate{25, 1}, "25"},
		{"12.5", FrameRate{25, 2}, "12.5"},
		{"60/2", FrameRate{30, 1}, "30"},
		{"1/3", FrameRate{1, 3}, "1/3"},
		{"0", FrameRate{}, "0"},
	} {
		f, err := ParseFrameRate(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, f, tc.in)
		require.Equal(t, tc.str, f.String(), tc.in)
		back, err := ParseFrameRate(f.String())
		require.NoError(t, err)
		require.Equal(t, f, back)
	}
	require.InDelta(t, 29.97, FrameRate{30000, 1001}.Float(), 0.001)
	require.True(t, FrameRate{}.IsZero())
	for _, bad := range []string{"abc", "30/0", "/2", "-30", "1e3", "30fps"} {
		_, err := ParseFrameRate(bad)
		require.EqualError(t, err, quote(bad)+" is not a frame rate (e.g. 30 or 29.97)")
	}
}

func TestResolution(t *testing.T) {
	r, err := ParseResolution("1920x1080")
	require.NoError(t, err)
	require.Equal(t, Resolution{1920, 1080}, r)
	require.Equal(t, "1920x1080", r.String())
	r, err = ParseResolution("0x0")
	require.NoError(t, err)
	require.True(t, r.IsZero())
	for _, bad := range []string{"1280", "x720", "1280x", "-1x2", "ax b", "1280x720x3"} {
		_, err := ParseResolution(bad)
		require.EqualError(t, err, quote(bad)+" is not a resolution (e.g. 1280x720)")
	}
}

func TestUnitsYAMLRoundTrip(t *testing.T) {
	type doc struct {
		S Resolution `yaml:"s"`
		F FrameRate  `yaml:"f"`
		B Bitrate    `yaml:"b"`
	}
	in := doc{Resolution{1280, 720}, FrameRate{30000, 1001}, 4_500_000}
	out, err := yaml.Marshal(in)
	require.NoError(t, err)
	require.Equal(t, "s: 1280x720\nf: \"29.97\"\nb: 4500k\n", string(out))
	var back doc
	require.NoError(t, yaml.Unmarshal(out, &back))
	require.Equal(t, in, back)
}
