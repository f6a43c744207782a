package testpeer

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rgbAt returns the pixel at (x, y) of an rgb24 picture w pixels wide.
func rgbAt(raw []byte, w, x, y int) [3]byte {
	i := (y*w + x) * 3
	return [3]byte{raw[i], raw[i+1], raw[i+2]}
}

func TestXvfbFillThenGrab(t *testing.T) {
	var display string
	var num int
	t.Run("display", func(t *testing.T) {
		x := StartXvfb(t, 320, 240)
		display, num = x.Display, x.num
		require.GreaterOrEqual(t, num, xvfbFirstDisplay)
		require.Equal(t, []string{"DISPLAY=" + x.Display}, x.Env())
		require.FileExists(t, displayLock(num))

		for _, tc := range []struct {
			color string
			want  [3]byte
		}{
			{"#d04020", [3]byte{0xd0, 0x40, 0x20}},
			{"#2040d0", [3]byte{0x20, 0x40, 0xd0}},
		} {
			x.Fill(t, tc.color)
			// x11grab gives bgr0; to rgb24 is exact, so compare exactly,
			// and everywhere (corners included).
			raw := x.Grab(t)
			for _, p := range [][2]int{{0, 0}, {319, 0}, {0, 239}, {319, 239}, {160, 120}} {
				require.Equal(t, tc.want, rgbAt(raw, 320, p[0], p[1]), "%s at %v", tc.color, p)
			}
			require.Zero(t, differing(raw, solid(320, 240, tc.want)), tc.color)
		}

		// A subprocess finds the display through Env; the colour is still
		// there after that client left (-noreset).
		cmd := exec.Command(need(t, "xdpyinfo"))
		cmd.Env = append(os.Environ(), x.Env()...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "dimensions:    320x240 pixels")
		require.Equal(t, [3]byte{0x20, 0x40, 0xd0}, rgbAt(x.Grab(t), 320, 10, 10))
	})
	if display == "" {
		return // skipped
	}
	// Cleanup stopped the server and left no lock or socket behind.
	require.NoFileExists(t, displayLock(num))
	require.NoFileExists(t, displaySocket(num))
	require.Error(t, exec.Command(need(t, "xdpyinfo"), "-display", display).Run(), "display still answers")
}

func TestXvfbTwoAtOnce(t *testing.T) {
	a := StartXvfb(t, 64, 48)
	b := StartXvfb(t, 64, 48)
	require.NotEqual(t, a.Display, b.Display)
	a.Fill(t, "#ff0000")
	b.Fill(t, "#00ff00")
	require.Equal(t, [3]byte{255, 0, 0}, rgbAt(a.Grab(t), 64, 5, 5))
	require.Equal(t, [3]byte{0, 255, 0}, rgbAt(b.Grab(t), 64, 5, 5))
}

func TestXvfbPlay(t *testing.T) {
	x := StartXvfb(t, 640, 360)
	x.Fill(t, "#d04020")
	root := solid(640, 360, [3]byte{0xd0, 0x40, 0x20})
	x.Play(t)

	// The player covers the screen (all four corners are no longer the
	// root colour) and the picture moves.
	first := x.Grab(t)
	for _, p := range [][2]int{{2, 2}, {637, 2}, {2, 357}, {637, 357}} {
		require.NotEqual(t, [3]byte{0xd0, 0x40, 0x20}, rgbAt(first, 640, p[0], p[1]), "corner %v", p)
	}
	cover := differing(root, first)
	t.Logf("player covers %.1f%% of the screen", cover*100)
	require.Greater(t, cover, 0.95)
	require.Eventually(t, func() bool { return differing(first, x.Grab(t)) > 0.001 }, 5*time.Second, 100*time.Millisecond, "picture does not move")
}

func solid(w, h int, c [3]byte) []byte {
	raw := make([]byte, w*h*3)
	for i := 0; i < len(raw); i += 3 {
		copy(raw[i:], c[:])
	}
	return raw
}
