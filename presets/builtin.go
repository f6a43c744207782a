package presets

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Info names and describes one built-in preset.
type Info struct{ Name, Description string }

// builtinNames returns the built-in preset names, sorted.
func builtinNames() []string {
	entries, _ := builtinFS.ReadDir("builtin")
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	return names // ReadDir is sorted by file name
}

var listOnce = sync.OnceValue(func() []Info {
	var out []Info
	for _, name := range builtinNames() {
		info := Info{Name: name}
		if data, ok := Builtin(name); ok {
			if p, err := parse(name+" (built-in)", name, data); err == nil {
				info.Description = p.Description
			}
		}
		out = append(out, info)
	}
	return out
})

// List returns the built-in presets sorted by name.
func List() []Info { return append([]Info(nil), listOnce()...) }

// Builtin returns the embedded YAML text of the built-in preset name; it is
// commented to serve as a template for a preset file.
func Builtin(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\*?[`) || !fs.ValidPath(name) {
		return nil, false
	}
	data, err := builtinFS.ReadFile(path.Join("builtin", name+".yaml"))
	if err != nil {
		return nil, false
	}
	return data, true
}

// Load resolves nameOrFile: "" means "demo"; a built-in name loads that
// preset (File is "NAME (built-in)"); anything else is read as a preset
// file. Like Parse, the result has its defaults applied, strict YAML read,
// ${NAME} expanded and Validate passed. A name that is neither a built-in
// nor an existing file gives an error matching ErrUnknownPreset (and
// fs.ErrNotExist).
func Load(nameOrFile string) (*Preset, error) {
	if nameOrFile == "" {
		nameOrFile = "demo"
	}
	if data, ok := Builtin(nameOrFile); ok {
		p, err := parse(nameOrFile+builtinSuffix, nameOrFile, data)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	data, err := os.ReadFile(nameOrFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if looksLikePath(nameOrFile) {
				return nil, &notFoundError{fmt.Sprintf("preset file %q: no such file", nameOrFile)}
			}
			return nil, &notFoundError{fmt.Sprintf("unknown preset %q: not a built-in (%s) and no such file",
				nameOrFile, strings.Join(builtinNames(), ", "))}
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("preset file %q: %w", nameOrFile, err)
	}
	return Parse(nameOrFile, data)
}

// builtinSuffix follows a built-in preset's name in Preset.File.
const builtinSuffix = " (built-in)"

func looksLikePath(s string) bool {
	return strings.ContainsAny(s, `/\`) || strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml")
}
