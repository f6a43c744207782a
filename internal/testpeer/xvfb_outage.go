package testpeer

import "testing"

// Kill stops the X server the way a lost screen looks to its clients:
// their connection drops. Restart brings it back on the same display.
func (x *Xvfb) Kill(t testing.TB) {
	t.Helper()
	x.stop()
}

// Restart starts the X server again on the same display number and size,
// after Kill. The screen comes back black.
func (x *Xvfb) Restart(t testing.TB) {
	t.Helper()
	bin, err := lookBin("Xvfb")
	if err != nil {
		t.Fatalf("testpeer: Restart: %v", err)
	}
	if err := x.start(bin, need(t, "xdpyinfo")); err != nil {
		t.Fatalf("testpeer: restart Xvfb %s: %v", x.Display, err)
	}
}
