package main

// The console end to end: the real binary in a real terminal (tmux), driven
// by key presses as a person would, pushing to a real nginx-rtmp, with what
// arrived checked by ffprobe. Unit tests of the tui package cover the model;
// this is the only test that proves the pieces fit together on a screen.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
)

// tmuxConsole is the binary running in a pane of a private tmux server.
type tmuxConsole struct {
	t    *testing.T
	sock string // tmux -L name: a server of our own, never the user's
	// exitFile receives the binary's exit status, written by the shell
	// that runs it in the pane.
	exitFile string
	// captures holds every screen the test looked at, so the key check at
	// the end covers all of them, not just the ones an assertion read.
	captures []string
}

// tmux runs one tmux command against the private server.
func (c *tmuxConsole) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-L", c.sock, "-f", "/dev/null"}, args...)...)
	// A test run from inside tmux must not talk to (or nest in) the
	// user's session.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "TMUX=") })
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// capture returns the visible screen and remembers it.
func (c *tmuxConsole) capture(extra ...string) string {
	c.t.Helper()
	out, err := c.tmux(append([]string{"capture-pane", "-p", "-t", "studio"}, extra...)...)
	require.NoError(c.t, err)
	c.captures = append(c.captures, out)
	return out
}

// keys types keys into the pane, one tmux key name each.
func (c *tmuxConsole) keys(keys ...string) {
	c.t.Helper()
	_, err := c.tmux(append([]string{"send-keys", "-t", "studio"}, keys...)...)
	require.NoError(c.t, err)
}

// waitScreen polls the screen every 200 ms until pred accepts it, and fails
// with the last screen when it does not within timeout.
// Extra arguments go to capture-pane.
func (c *tmuxConsole) waitScreen(pred func(screen string) bool, timeout time.Duration, what string, extra ...string) string {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := c.capture(extra...)
		if pred(s) {
			return s
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("console: no %s after %v; last screen:\n%s", what, timeout, strings.TrimRight(s, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// exitCode waits until the wrapper shell has written the binary's exit
// status to c.exitFile and returns it.
func (c *tmuxConsole) exitCode(timeout time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if data, err := os.ReadFile(c.exitFile); err == nil && strings.HasSuffix(string(data), "\n") {
			code, err := strconv.Atoi(strings.TrimSpace(string(data)))
			require.NoError(c.t, err, "exit file %q", data)
			return code
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("console: still running %v after quitting; last screen:\n%s", timeout, c.capture())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// header is the first line of the screen: the state badge lives there.
func header(screen string) string {
	line, _, _ := strings.Cut(screen, "\n")
	return line
}

// row returns the first screen line whose first field is name ("" if none).
func row(screen, name string) string {
	for _, line := range strings.Split(screen, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return line
		}
	}
	return ""
}

// sourceRow returns the Sources panel's row of a source (from its name on;
// the panel sits right of the picture).
func sourceRow(screen, name string) string {
	for _, line := range strings.Split(screen, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == name && (f[i+1] == "testsrc" || f[i+1] == "live" || f[i+1] == "standby") {
				return strings.Join(f[i:], " ")
			}
		}
	}
	return ""
}

var kbpsRE = regexp.MustCompile(`(\d+(?:\.\d+)?) kb/s`)

// kbps is the bitrate an Outputs row shows, or -1 when it shows none.
func kbps(line string) float64 {
	m := kbpsRE.FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

var liveBadgeRE = regexp.MustCompile(`● LIVE \d\d:\d\d:\d\d`)

func TestConsoleInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not found: scripts/deps.sh installs it (CI always has it)")
	}
	ngx := testpeer.StartNginx(t)
	const key = "consoleKEY7x"
	dir := t.TempDir() // the working directory: the recording lands here
	c := &tmuxConsole{t: t, sock: fmt.Sprintf("studio-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	var socketPath string
	t.Cleanup(func() {
		_, _ = c.tmux("kill-server")
		// tmux does not always unlink its socket when killed.
		if socketPath != "" {
			_ = os.Remove(socketPath)
		}
	})

	// 1. The binary in a 120x40 pane. TERM is one every terminfo knows
	// (tmux's own default may be missing on a minimal system). A shell
	// runs it and writes its exit status to a file: tmux's
	// #{pane_dead_status} is not reliable here (tmux was seen to miss the
	// SIGCHLD of Go binaries and never report a status), while sh waits for
	// its child itself. "$0" is the exit file and "$@" the command, so
	// nothing needs quoting. remain-on-exit keeps the pane after the shell
	// ends, so what studio printed on stderr after leaving the alt screen
	// can still be read; both commands go in one invocation so the option
	// is set before the binary could possibly exit.
	c.exitFile = filepath.Join(t.TempDir(), "exit")
	_, err := c.tmux("new-session", "-d", "-s", "studio", "-x", "120", "-y", "40", "-c", dir,
		"sh", "-c", `"$@"; echo $? > "$0"`, c.exitFile,
		"env", "TERM=xterm-256color", studioBin, "--preset", "demo", "--to", ngx.URL(key),
		";", "set-option", "-t", "studio", "remain-on-exit", "on")
	require.NoError(t, err)
	out, err := c.tmux("display-message", "-p", "#{socket_path}")
	require.NoError(t, err)
	socketPath = strings.TrimSpace(out)

	// 2. The console opens idle: nothing is sent before s.
	c.waitScreen(func(s string) bool { return strings.Contains(header(s), "READY") }, 20*time.Second, "READY header")
	require.NoFileExists(t, ngx.Recording(key), "published before s was pressed")

	// 3. Go live: the header says so and out1 reports a real bitrate.
	c.keys("s")
	maskedURL := fmt.Sprintf("rtmp://127.0.0.1:%d/live/****", ngx.Port)
	screen := c.waitScreen(func(s string) bool {
		out1 := strings.Fields(row(s, "out1"))
		return liveBadgeRE.MatchString(header(s)) && len(out1) > 1 && out1[1] == "live" && kbps(row(s, "out1")) > 0
	}, 20*time.Second, "LIVE header with out1 live at a non-zero kb/s")
	require.Contains(t, row(screen, "out1"), maskedURL, "out1 row shows the masked URL")
	// nginx really receives: its recording exists and keeps growing.
	rec := ngx.Recording(key)
	require.Eventually(t, func() bool { return fileSize(rec) > 0 }, 5*time.Second, 100*time.Millisecond,
		"nginx has no recording of the stream\n%s", ngx.ErrorLog())
	size1 := fileSize(rec)
	time.Sleep(2 * time.Second)
	size2 := fileSize(rec)
	require.Greater(t, size2, size1, "nginx recording stopped growing while LIVE")
	c.capture() // the screen after 2 s live also gets the key check

	// 3b. Multistream: add a second destination while live (the typed URL
	// is never shown with its key), see it live and on the server, then
	// remove it from the Outputs panel; out1 goes on.
	const key2 = "secondKEY9z"
	c.keys("a")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "Add destination: ") }, 5*time.Second, "the add prompt")
	c.keys("-l", ngx.URL(key2))
	c.waitScreen(func(s string) bool { return strings.Contains(s, "Add destination: "+maskedURL) }, 5*time.Second, "the typed URL, masked")
	c.keys("Enter")
	c.waitScreen(func(s string) bool {
		out2 := strings.Fields(row(s, "out2"))
		return len(out2) > 1 && out2[1] == "live" && strings.Contains(s, "out2: added "+maskedURL)
	}, 20*time.Second, "out2 added and live")
	rec2 := ngx.Recording(key2)
	require.Eventually(t, func() bool { return fileSize(rec2) > 0 }, 5*time.Second, 100*time.Millisecond, "nginx has nothing of out2")
	c.keys("Tab", "Tab", "Tab")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "x remove") }, 5*time.Second, "the Outputs panel focused")
	c.keys("Down", "x")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "Remove out2 ("+maskedURL+")? (y/n)") }, 5*time.Second, "remove confirmation")
	c.keys("y")
	c.waitScreen(func(s string) bool {
		out1 := strings.Fields(row(s, "out1"))
		return row(s, "out2") == "" && strings.Contains(s, "out2: removed") && len(out1) > 1 && out1[1] == "live"
	}, 15*time.Second, "out2 gone, out1 still live")
	unpublished := strings.Count(ngx.ErrorLog(), "deleteStream")
	require.Positive(t, unpublished, "out2 was not unpublished")
	// out2 stopped on nginx; out1 goes on.
	size2, sizeOut1 := fileSize(rec2), fileSize(rec)
	time.Sleep(1500 * time.Millisecond)
	require.Equal(t, size2, fileSize(rec2), "out2's recording still grows after its removal")
	require.Greater(t, fileSize(rec), sizeOut1, "out1 stopped with out2")

	// 4. Scene switch and help overlay.
	c.keys("2")
	c.waitScreen(func(s string) bool { return strings.Contains(header(s), "scene Bars") }, 5*time.Second, `"scene Bars" in the header`)
	c.keys("?")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "reconnect now") }, 5*time.Second, "help listing reconnect now")
	c.keys("?")
	c.waitScreen(func(s string) bool {
		return !strings.Contains(s, "reconnect now") && row(s, "out1") != ""
	}, 5*time.Second, "the console back after closing help")

	// 4b. Filters while live, on the source selected in Sources (the first,
	// pattern): beauty on, a step stronger, a watermark it does not have
	// (the log says how to add one), then the program's clock (demo's
	// program filters, the last Sources row) off and on again.
	c.keys("b")
	c.waitScreen(func(s string) bool {
		return strings.Contains(s, "pattern: beauty on (0.5)") && strings.Contains(sourceRow(s, "pattern"), "beauty .5")
	}, 10*time.Second, "beauty on for pattern, with its badge")
	c.keys("]")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "pattern: beauty 0.6") }, 5*time.Second, "beauty 0.6")
	c.keys("w")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "pattern has no watermark") }, 5*time.Second, "no watermark on pattern")
	c.keys("Tab", "Tab") // Outputs → Scenes → Sources
	c.keys("Down", "Down", "Down", "w")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "program: watermark off") }, 5*time.Second, "the program's clock off")
	c.keys("w")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "program: watermark on") }, 5*time.Second, "the program's clock on")

	// 5. Record while live (to studio-*.flv in the working directory).
	c.keys("r")
	c.waitScreen(func(s string) bool { return strings.Contains(header(s), "● REC") }, 5*time.Second, "REC in the header")
	time.Sleep(2 * time.Second)
	screen = c.capture()
	require.True(t, liveBadgeRE.MatchString(header(screen)), "no longer LIVE while recording:\n%s", screen)

	// 6. Quit asks first, because both are running; y confirms.
	c.keys("q")
	c.waitScreen(func(s string) bool { return strings.Contains(s, "and quit? (y/n)") }, 5*time.Second, "quit confirmation")
	c.keys("y")
	code := c.exitCode(15 * time.Second)
	// After the alt screen, the normal screen holds what studio printed on
	// stderr; tmux may not have drawn it yet when the exit file appears.
	// -J joins a path the 120 columns wrapped.
	final := c.waitScreen(func(s string) bool { return strings.Contains(s, "recording saved to") }, 5*time.Second,
		"stderr message about the saved recording", "-J")
	require.Equal(t, 0, code, "exit code; screen after exit:\n%s", strings.TrimRight(final, "\n"))

	locals, err := filepath.Glob(filepath.Join(dir, "studio-*.flv"))
	require.NoError(t, err)
	require.Len(t, locals, 1, "local recordings in the working directory")
	local := locals[0]
	require.Regexp(t, `^studio-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.flv$`, filepath.Base(local))
	// The message names the file as it was given (relative to the working
	// directory by default) with its size.
	m := regexp.MustCompile(`studio: recording saved to (\S+) \(\d`).FindStringSubmatch(final)
	require.NotNil(t, m, "no saved-recording message after exit:\n%s", final)
	saved := m[1]
	if !filepath.IsAbs(saved) {
		saved = filepath.Join(dir, saved)
	}
	require.Equal(t, local, saved, "the message names another file")

	// 7. The key never reached the screen, not even after exit. The masked
	// URL did, so the check looked at the right rows.
	require.Contains(t, strings.Join(c.captures, "\n"), maskedURL)
	for i, s := range c.captures {
		require.NotContains(t, s, key, "stream key on screen (capture %d of %d):\n%s", i+1, len(c.captures), s)
		require.NotContains(t, s, key2, "second stream key on screen (capture %d of %d):\n%s", i+1, len(c.captures), s)
	}

	// 8. What nginx got: a clean stream that starts near zero although it
	// joined a program already running, and was unpublished at the end.
	got := ngx.WaitRecordingStable(t, key, 10*time.Second)
	require.Greater(t, strings.Count(ngx.ErrorLog(), "deleteStream"), unpublished, "stream was not unpublished")
	p := testpeer.FFprobe(t, got)
	require.NotNil(t, p.Video, "no video in %s", got)
	require.NotNil(t, p.Audio, "no audio in %s", got)
	require.Equal(t, "h264", p.Video.CodecName)
	require.Equal(t, 1280, p.Video.Width)
	require.Equal(t, 720, p.Video.Height)
	require.Equal(t, "aac", p.Audio.CodecName)
	require.GreaterOrEqual(t, p.Format.Duration, 3.0, "duration of the pushed stream")
	vt := testpeer.PacketTimes(t, got, "v")
	require.NotEmpty(t, vt)
	require.Less(t, slices.Min(vt), 1.0, "first video timestamp: the stream was not rebased to start near zero")
	require.Empty(t, testpeer.DecodeErrors(t, got), "decode errors in nginx's recording")
	t.Logf("nginx got %.2f s, first video packet at %.3f s", p.Format.Duration, slices.Min(vt))

	lp := testpeer.FFprobe(t, local)
	require.NotNil(t, lp.Video, "no video in %s", local)
	require.NotNil(t, lp.Audio, "no audio in %s", local)
	require.Equal(t, "h264", lp.Video.CodecName)
	require.Equal(t, "aac", lp.Audio.CodecName)
	// r was pressed about 2 s before q.
	require.Greater(t, lp.Format.Duration, 1.5, "duration of the local recording")
	t.Logf("local recording %s: %.2f s", filepath.Base(local), lp.Format.Duration)
	require.Empty(t, testpeer.DecodeErrors(t, local), "decode errors in the local recording")
}

// Without a terminal the console explains itself instead of garbling a
// pipe, and bad flags are caught before anything opens.
func TestConsoleNeedsATerminal(t *testing.T) {
	r := studio(t)
	require.Equal(t, 2, r.code, r.all())
	require.Contains(t, r.stderr, "the console needs a terminal; for scripts use: studio run --preset demo --to URL")
	r = studio(t, "--preset", "nope")
	require.Equal(t, 2, r.code, r.all())
	require.Contains(t, r.stderr, `"nope"`)
	require.NotContains(t, r.stderr, "terminal", "the preset is checked first")
	r = studio(t, "--to", "rtmp://host-without-app")
	require.Equal(t, 2, r.code, r.all())
	require.Contains(t, r.stderr, "--to: ")
	require.NotContains(t, r.stderr, "terminal")
	r = studio(t, "--help")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "studio [--preset NAME|FILE] [--to URL]")
}

// The engine flags studio run honours are refused by the console rather
// than ignored, and a stray word is an unknown command wherever it stands.
func TestConsoleRefusesRunOnlyFlags(t *testing.T) {
	for _, tc := range []struct{ flag, want string }{
		{"--duration=5s", "--duration is for studio run"},
		{"--stats-json=-", "--stats-json is for studio run; the console shows stats itself"},
		{"--realtime=false", "--realtime is for studio run"},
	} {
		r := studio(t, "--preset", "demo", tc.flag)
		require.Equal(t, 2, r.code, r.all())
		require.Contains(t, r.stderr, tc.want)
		require.NotContains(t, r.stderr, "terminal", "refused before anything opens")
	}
	for _, args := range [][]string{{"nope"}, {"--preset", "demo", "nope"}} {
		r := studio(t, args...)
		require.Equal(t, 2, r.code, r.all())
		require.Contains(t, r.stderr, `unknown command "nope" (commands: run, relay, presets, devices, version`)
	}
}
