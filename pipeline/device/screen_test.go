package device

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
)

func displayNum(t *testing.T, d string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(d, ":"))
	require.NoError(t, err)
	return n
}

// unservedDisplay is a display number ≥ 400 that no X server here has: no
// socket in /tmp/.X11-unix and no lock file.
func unservedDisplay(t *testing.T) int {
	t.Helper()
	for n := 400; n < 1000; n++ {
		_, errSock := os.Lstat("/tmp/.X11-unix/X" + strconv.Itoa(n))
		_, errLock := os.Lstat("/tmp/.X" + strconv.Itoa(n) + "-lock")
		if os.IsNotExist(errSock) && os.IsNotExist(errLock) {
			return n
		}
	}
	t.Fatal("every X display number from 400 to 999 is taken")
	return 0
}

// unsetenv removes an environment variable for the rest of the test.
func unsetenv(t *testing.T, key string) {
	t.Setenv(key, "") // restores the old value in Cleanup
	require.NoError(t, os.Unsetenv(key))
}

func TestScreenSize(t *testing.T) {
	d := testpeer.StartXvfb(t, 1024, 576).Display
	w, h, err := ScreenSize(d)
	require.NoError(t, err)
	require.Equal(t, [2]int{1024, 576}, [2]int{w, h})

	t.Setenv("DISPLAY", d)
	w, h, err = ScreenSize("")
	require.NoError(t, err)
	require.Equal(t, [2]int{1024, 576}, [2]int{w, h})

	unsetenv(t, "DISPLAY")
	_, _, err = ScreenSize("")
	require.EqualError(t, err, "no X display: $DISPLAY is not set (use --display :N)")

	dead := ":" + strconv.Itoa(unservedDisplay(t))
	_, _, err = ScreenSize(dead)
	require.EqualError(t, err, `cannot open X display "`+dead+`" (is an X server running there?)`)
}

func TestScreens(t *testing.T) {
	big := testpeer.StartXvfb(t, 1024, 576).Display
	small := testpeer.StartXvfb(t, 640, 480).Display

	// $DISPLAY first, then the sockets; each display once, with its own size.
	t.Setenv("DISPLAY", small)
	screens, err := Screens()
	require.NoError(t, err)
	require.Equal(t, Screen{small, 640, 480}, screens[0])
	require.Contains(t, screens, Screen{big, 1024, 576})
	seen := map[string]bool{}
	for _, s := range screens {
		require.False(t, seen[displayKey(s.Display)], "%s listed twice in %v", s.Display, screens)
		seen[displayKey(s.Display)] = true
	}

	// ":N.0" in $DISPLAY and the socket XN are the same display.
	t.Setenv("DISPLAY", big+".0")
	screens, err = Screens()
	require.NoError(t, err)
	require.Equal(t, Screen{big + ".0", 1024, 576}, screens[0])
	require.NotContains(t, screens, Screen{big, 1024, 576})
	require.Contains(t, screens, Screen{small, 640, 480})

	// A socket directory of our own: stale sockets and odd names are left
	// out, the rest come in display-number order.
	dir := t.TempDir()
	old := x11SocketDir
	t.Cleanup(func() { x11SocketDir = old })
	x11SocketDir = dir
	stale := unservedDisplay(t)
	for _, name := range []string{"X" + strconv.Itoa(displayNum(t, small)), "X" + strconv.Itoa(displayNum(t, big)),
		"X" + strconv.Itoa(stale), "Xabc", "X-1", "X07", "Y1"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o600))
	}
	unsetenv(t, "DISPLAY")
	want := []Screen{{big, 1024, 576}, {small, 640, 480}}
	sort.Slice(want, func(i, j int) bool { return displayNum(t, want[i].Display) < displayNum(t, want[j].Display) })
	screens, err = Screens()
	require.NoError(t, err)
	require.Equal(t, want, screens)

	// Nothing at all: an empty list, no error.
	x11SocketDir = t.TempDir()
	screens, err = Screens()
	require.NoError(t, err)
	require.NotNil(t, screens)
	require.Empty(t, screens)
	x11SocketDir = filepath.Join(t.TempDir(), "missing")
	screens, err = Screens()
	require.NoError(t, err)
	require.NotNil(t, screens)
	require.Empty(t, screens)

	// $DISPLAY naming a display nobody serves is left out too.
	t.Setenv("DISPLAY", ":"+strconv.Itoa(stale))
	screens, err = Screens()
	require.NoError(t, err)
	require.Empty(t, screens)
}

func TestDisplayKey(t *testing.T) {
	for in, want := range map[string]string{
		":0": ":0", ":0.0": ":0", ":99.1": ":99", "unix:5": ":5", "unix:5.0": ":5",
		"localhost:10.0": "localhost:10", "host:0": "host:0", "weird": "weird",
	} {
		require.Equal(t, want, displayKey(in), in)
	}
}
