package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"studio/pipeline"
	"studio/presets"
)

const presetsHelp = `Usage: studio presets list | show NAME | validate FILE

  list           the built-in presets
  show NAME      print a built-in preset's YAML (a template for your own)
  validate FILE  check a preset file; errors name the file, line and key

Example:
  studio presets show twitch-720p30 > my.yaml && studio presets validate my.yaml
`

func cmdPresets(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("presets needs a subcommand\n\n%s", presetsHelp)
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, presetsHelp)
		return nil
	case "list":
		for _, i := range presets.List() {
			fmt.Fprintf(stdout, "%-18s %s\n", i.Name, i.Description)
		}
		return nil
	case "show":
		if len(args) != 2 {
			return usagef("usage: studio presets show NAME")
		}
		if text, ok := presets.Builtin(args[1]); ok {
			_, err := stdout.Write(text)
			return err
		}
		if text, err := os.ReadFile(args[1]); err == nil {
			_, err = stdout.Write(text)
			return err
		}
		_, err := presets.Load(args[1])
		return &usageError{err.Error()}
	case "validate":
		if len(args) != 2 {
			return usagef("usage: studio presets validate FILE")
		}
		p, err := presets.Load(args[1])
		if err != nil {
			return &usageError{err.Error()}
		}
		fmt.Fprintf(stdout, "%s: ok (%s, %s video at %s fps)\n", args[1], sizeOrInput(p), p.Video.Bitrate, p.Video.FPS)
		return nil
	}
	return usagef("unknown presets subcommand %q\n\n%s", args[0], presetsHelp)
}

func sizeOrInput(p *presets.Preset) string {
	if p.Video.Size.IsZero() {
		return "input size up to " + p.Video.MaxSize.String()
	}
	return p.Video.Size.String()
}

func version() string {
	v := pipeline.Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				v += " (" + s.Value[:7] + ")"
			}
		}
	}
	return v
}
