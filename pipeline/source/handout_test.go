package source

import (
	"testing"

	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

// A frame given out through a Handout and changed in place the way filters
// do it (writable first) leaves the original as it was.
func TestHandoutKeepsTheOriginal(t *testing.T) {
	f := Format{Width: 64, Height: 36, SampleRate: 48000, Channels: 2}
	black, err := BlackPicture(f)
	require.NoError(t, err)
	defer black.Free()
	h := NewHandout()
	defer h.Free()
	for i := 0; i < 2; i++ {
		out := h.Of(black)
		require.NotSame(t, black, out)
		require.NoError(t, av.MakeWritable(out))
		y, _ := av.Plane(out, 0)
		y[0] = 200
		orig, _ := av.Plane(black, 0)
		require.Equal(t, byte(16), orig[0], "the black picture was drawn into (round %d)", i)
	}
}
