package av_test

import (
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

func TestParseColor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [4]uint8
	}{
		{"white", [4]uint8{255, 255, 255, 255}},
		{"Red", [4]uint8{255, 0, 0, 255}},
		{"#102030", [4]uint8{0x10, 0x20, 0x30, 255}},
		{"#10203080", [4]uint8{0x10, 0x20, 0x30, 0x80}},
		{"0x102030", [4]uint8{0x10, 0x20, 0x30, 255}},
		{"black@0.5", [4]uint8{0, 0, 0, 127}}, // FFmpeg truncates 0.5 × 255
	} {
		got, err := av.ParseColor(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"", "nocolour", "#12345", "random", "RANDOM@0.5", "bikeshed"} {
		_, err := av.ParseColor(bad)
		require.Error(t, err, bad)
	}
}

// TestSetFrameMetadata: the value is copied (the buffer may change at
// once), replaces an earlier one, and setting it costs no Go allocation.
func TestSetFrameMetadata(t *testing.T) {
	f := astiav.AllocFrame()
	defer f.Free()
	require.Equal(t, "", av.FrameMetadata(f, "k"))
	buf := []byte("12:00:01")
	require.NoError(t, av.SetFrameMetadata(f, "k", buf))
	copy(buf, "xx")
	require.Equal(t, "12:00:01", av.FrameMetadata(f, "k"))
	require.NoError(t, av.SetFrameMetadata(f, "k", []byte("b")))
	require.Equal(t, "b", av.FrameMetadata(f, "k"))
	require.NoError(t, av.SetFrameMetadata(f, "k", nil))
	require.Equal(t, "", av.FrameMetadata(f, "k"), "an empty value is an empty string")
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = av.SetFrameMetadata(f, "k", buf) }))
}
