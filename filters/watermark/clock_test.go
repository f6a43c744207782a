package watermark

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/av"
)

// clockAt draws a watermark with one clock on a fresh grey frame at
// program time t and returns the frame's samples.
func clockAt(t *testing.T, w *Watermark, at time.Duration) [3][]byte {
	f := greyFrame(t, w.width, w.height)
	require.NoError(t, w.Apply(f, at))
	return planes(f)
}

// TestClockTicks: the clock shows Epoch + program time, and its pixels
// change exactly when the formatted text does: not within a second, at
// the second, and (with a fractional epoch) at the epoch's next whole
// second of wall time, not of program time.
func TestClockTicks(t *testing.T) {
	epoch := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := New(320, 180, Config{Epoch: epoch, Layers: []Layer{{Clock: "%Y-%m-%d %H:%M:%S", Zone: "UTC", Box: "#00000080", Padding: 4}}})
	require.NoError(t, err)
	defer w.Close()
	l := &w.layers[0]

	at0 := clockAt(t, w, 0)
	require.Equal(t, "2024-01-02 03:04:05", string(l.cur))
	draws := l.clock.pts
	require.Equal(t, at0, clockAt(t, w, 500*time.Millisecond))
	require.Equal(t, at0, clockAt(t, w, 990*time.Millisecond))
	require.Equal(t, draws, l.clock.pts, "no redraw within the second")
	at1 := clockAt(t, w, time.Second)
	require.NotEqual(t, at0, at1)
	require.Equal(t, "2024-01-02 03:04:06", string(l.cur))
	require.Equal(t, draws+1, l.clock.pts)
	require.NotEqual(t, planes(greyFrame(t, 320, 180)), at0, "the clock draws something")
	canvas, _ := av.PackedPlane(l.clock.canvas)
	require.Equal(t, make([]byte, len(canvas)), canvas, "drawtext drew into its own copy: the next second starts clean")

	// Program time is not the time of day: an hour in is an hour on.
	clockAt(t, w, time.Hour+1500*time.Millisecond)
	require.Equal(t, "2024-01-02 04:04:06", string(l.cur))
	// Going back (a new Watermark would be made on restart, but nothing
	// depends on monotony) shows the earlier text and pixels again.
	require.Equal(t, at0, clockAt(t, w, 0))
}

func TestClockFractionalEpoch(t *testing.T) {
	epoch := time.Date(2024, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	w, err := New(320, 180, Config{Epoch: epoch, Layers: []Layer{{Clock: "%T", Zone: "UTC"}}})
	require.NoError(t, err)
	defer w.Close()
	at0 := clockAt(t, w, 0)
	require.Equal(t, at0, clockAt(t, w, 399*time.Millisecond))
	require.Equal(t, "03:04:05", string(w.layers[0].cur))
	require.NotEqual(t, at0, clockAt(t, w, 400*time.Millisecond))
	require.Equal(t, "03:04:06", string(w.layers[0].cur))
}

// TestClockRedrawsOnlyOnChange: a clock without seconds is drawn once a
// minute, not once a second.
func TestClockRedrawsOnlyOnChange(t *testing.T) {
	epoch := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := New(320, 180, Config{Epoch: epoch, Layers: []Layer{{Clock: "%H:%M", Zone: "UTC"}}})
	require.NoError(t, err)
	defer w.Close()
	draws := w.layers[0].clock.pts
	for s := 0; s < 55; s++ {
		clockAt(t, w, time.Duration(s)*time.Second)
	}
	require.Equal(t, draws, w.layers[0].clock.pts)
	clockAt(t, w, 55*time.Second) // 03:05:00
	require.Equal(t, "03:05", string(w.layers[0].cur))
	require.Equal(t, draws+1, w.layers[0].clock.pts)
}

// TestClockLocalZone: with no zone the clock shows the machine's local
// time (TZ), whatever zone the epoch was given in.
func TestClockLocalZone(t *testing.T) {
	local := time.Local
	t.Cleanup(func() { time.Local = local })
	time.Local = time.FixedZone("XST", 5*3600+30*60)
	epoch := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := New(320, 180, Config{Epoch: epoch, Layers: []Layer{{Clock: "%H:%M:%S %Z"}}})
	require.NoError(t, err)
	defer w.Close()
	require.Equal(t, "08:34:05 XST", string(w.layers[0].cur))
}

// TestClockGrows: a clock whose text outgrows its first canvas (sized
// for "MayMayMay") is redrawn on a larger one.
func TestClockGrows(t *testing.T) {
	epoch := time.Date(2024, 5, 31, 23, 59, 59, 0, time.UTC)
	w, err := New(640, 180, Config{Epoch: epoch, Layers: []Layer{{Clock: "%B%B%B", Zone: "UTC", Box: "black"}}})
	require.NoError(t, err)
	defer w.Close()
	l := &w.layers[0]
	may := l.clock.cw
	mayW := l.bm.w
	clockAt(t, w, 93*24*time.Hour) // September
	require.Equal(t, "SeptemberSeptemberSeptember", string(l.cur))
	require.Greater(t, l.clock.cw, may, "canvas rebuilt")
	require.Greater(t, l.bm.w, 2*mayW, "the whole word is drawn")
	f := greyFrame(t, 640, 180)
	require.NoError(t, w.Apply(f, 93*24*time.Hour))
	x0, _, x1, _, _ := changed(f)
	require.Equal(t, 0, x0)
	require.Greater(t, x1, 350, "27 letters at 24 px are over 350 px wide")
	require.Less(t, x1, 640, "and fit the frame: clipping did not cut them")
}
