// Command studio is a live broadcast console and engine for the terminal:
// test pattern or media input → H.264/AAC → FLV → RTMP, with recording.
// The command line is thin: it parses flags, loads the preset and starts
// the engine (DESIGN.md §5).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes (DESIGN.md §5).
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError is a mistake the user can fix before going live: bad flags,
// unknown or invalid preset, missing file, malformed URL.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

const rootHelp = `studio — a live broadcast console for the terminal

Usage:
  studio [--preset NAME|FILE] [--to URL]...    open the console (default preset: demo)
  studio run --preset NAME|FILE [--to URL]... [--record PATH] [--duration DUR]
             [--stats-json PATH|-] [--realtime=false] [--headless]
  studio relay INPUT [URL...] [--preset NAME|FILE] [--loop] [--record PATH]
             [--duration DUR] [--stats-json PATH|-]
  studio presets list | show NAME | validate FILE
  studio devices                                 screens, cameras, audio inputs
  studio version

INPUT is a media file, a URL FFmpeg can open (rtmp://, srt://, http(s)://)
or testsrc. Run "studio COMMAND --help" for a command's flags and an example.

Examples:
  studio --to rtmp://127.0.0.1:1935/live/mystream
  studio run --preset demo --duration 10s --record demo.flv
  studio relay movie.mp4 rtmp://live.example.com/app/STREAMKEY --loop
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return exitCode(cmdConsole(args, stdout, stderr), stderr)
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(args[1:], stdout, stderr)
	case "relay":
		err = cmdRelay(args[1:], stdout, stderr)
	case "presets":
		err = cmdPresets(args[1:], stdout)
	case "devices":
		err = cmdDevices(args[1:], stdout)
	case "version", "--version":
		fmt.Fprintln(stdout, "studio", version())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, rootHelp)
	default:
		if strings.HasPrefix(args[0], "-") {
			err = cmdConsole(args, stdout, stderr) // flags alone open the console
		} else {
			err = unknownCommand(args[0])
		}
	}
	return exitCode(err, stderr)
}

// commandList names the commands of run's switch, for the unknown-command
// message.
const commandList = "run, relay, presets, devices, version"

func unknownCommand(name string) error {
	return usagef("unknown command %q (commands: %s; studio alone opens the console)", name, commandList)
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "studio:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitRuntime
}
