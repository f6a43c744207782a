package presets

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"studio/pipeline/stats"
)

// SceneConfig is one scene: what goes on air when its key (1-9) is pressed.
// It says exactly one of: source (one source, full frame), layout with
// sources (a template), or layers (free placement).
type SceneConfig struct {
	Name   string `yaml:"name"`             // shown in the console; unique
	Source string `yaml:"source,omitempty"` // one source from sources:, full frame

	// Layout is a template (full, pip, side-by-side, grid, host+3) filled
	// with Sources in order: for host+3 the host first, then the guests.
	Layout  string   `yaml:"layout,omitempty"`
	Sources []string `yaml:"sources,omitempty"`

	// Layers place sources freely; the first is at the bottom unless z says otherwise.
	Layers []LayerConfig `yaml:"layers,omitempty"`

	Background      string `yaml:"background,omitempty"`       // colour behind the layers: #rrggbb or a name; default black
	BackgroundImage string `yaml:"background_image,omitempty"` // a picture scaled to cover the frame; relative to the preset's folder; env-expanded

	// Transition is how this scene comes on air; default the preset's.
	Transition *TransitionConfig `yaml:"transition,omitempty"`
}

// LayerConfig places one source in a scene.
type LayerConfig struct {
	Source string `yaml:"source"` // a name from sources:
	// X, Y, Width and Height are pixels ("320") or a share of the frame
	// ("25%"); default the whole frame.
	X      Length `yaml:"x"`
	Y      Length `yaml:"y"`
	Width  Length `yaml:"width"`
	Height Length `yaml:"height"`
	Z      int    `yaml:"z"` // stacking order: higher is on top; equal z keeps the list's order
	// Crop cuts pixels off the source's picture before it is scaled.
	Crop    CropConfig `yaml:"crop"`
	Opacity float64    `yaml:"opacity"` // 0..1, default 1
	// Fit is how a picture fills its rectangle: cover (default: fill, the
	// excess cut off evenly), contain (all of it, background around) or
	// stretch.
	Fit string `yaml:"fit"`
}

// CropConfig is pixels cut off each edge of a picture.
type CropConfig struct {
	Left   int `yaml:"left"`
	Top    int `yaml:"top"`
	Right  int `yaml:"right"`
	Bottom int `yaml:"bottom"`
}

// TransitionConfig is how a scene switch looks.
type TransitionConfig struct {
	Kind       string `yaml:"kind"`        // cut (default) or fade
	DurationMs int    `yaml:"duration_ms"` // fade: default 300, at most 10000
}

// Transition kinds.
const (
	TransitionCut  = "cut"
	TransitionFade = "fade"
)

// Fits are the accepted LayerConfig.Fit values.
var Fits = []string{"cover", "contain", "stretch"}

// Layouts are the scene templates and how many sources each shows.
var Layouts = []struct {
	Name string
	Max  int
}{{"full", 1}, {"pip", 2}, {"side-by-side", 2}, {"grid", 9}, {"host+3", 4}}

// Defaults of guests and transitions.
const (
	DefaultStaleMs         = 3000
	DefaultJitterMs        = 200
	DefaultFadeMs          = 300
	MaxTransitionMs        = 10000
	MinStaleMs, MaxStaleMs = 500, 60000
	MaxJitterMs            = 5000
)

func (l *LayerConfig) setDefaults() {
	*l = LayerConfig{Width: Length{Value: 100, Percent: true}, Height: Length{Value: 100, Percent: true}, Opacity: 1, Fit: "cover"}
}

func (t *TransitionConfig) setDefaults() { *t = TransitionConfig{Kind: TransitionCut} }

// Length is a distance in pixels ("320") or a share of the frame's width
// or height ("25%", "12.5%").
type Length struct {
	Value   float64
	Percent bool
}

// ParseLength parses "320", "-10" or "25%".
func ParseLength(s string) (Length, error) {
	t := strings.TrimSpace(s)
	l := Length{}
	if strings.HasSuffix(t, "%") {
		l.Percent, t = true, strings.TrimSpace(strings.TrimSuffix(t, "%"))
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || (!l.Percent && v != math.Trunc(v)) {
		return Length{}, fmt.Errorf("%s is not a length (pixels such as 320, or a share such as 25%%)", quote(s))
	}
	l.Value = v
	return l, nil
}

// Pixels is the length on a side of total pixels.
func (l Length) Pixels(total int) int {
	if l.Percent {
		return int(math.Round(l.Value * float64(total) / 100))
	}
	return int(l.Value)
}

// String writes the length as it is parsed.
func (l Length) String() string {
	v := strconv.FormatFloat(l.Value, 'f', -1, 64)
	if l.Percent {
		return v + "%"
	}
	return v
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *Length) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a length (e.g. 320 or 25%)")
	if err != nil {
		return err
	}
	v, err := ParseLength(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (l Length) MarshalYAML() (any, error) { return l.String(), nil }

// LayoutMax is how many sources a layout shows (0: unknown layout).
func LayoutMax(name string) int {
	for _, l := range Layouts {
		if l.Name == name {
			return l.Max
		}
	}
	return 0
}

func layoutNames() string {
	var n []string
	for _, l := range Layouts {
		n = append(n, l.Name)
	}
	return strings.Join(n, ", ")
}

// checkScenes validates every scene against the sources.
func (p *Preset) checkScenes() *Error {
	if len(p.Scenes) > MaxScenes {
		return p.errAt("scenes", "%d scenes; at most %d (one per key 1-%d)", len(p.Scenes), MaxScenes, MaxScenes)
	}
	var list []string
	for _, s := range p.ProgramSources() {
		list = append(list, s.Name)
	}
	known := func(key, name string) *Error {
		if !contains(list, name) {
			return p.errAt(key, "unknown source %s (sources are: %s)", quote(name), strings.Join(list, ", "))
		}
		return nil
	}
	scenes := map[string]int{}
	for i, sc := range p.Scenes {
		key := "scenes[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(sc.Name) == "" {
			return p.errAt(key+".name", "required")
		}
		if e := p.checkUnique(scenes, "scenes", i, sc.Name); e != nil {
			return e
		}
		forms := 0
		for _, said := range []bool{sc.Source != "", sc.Layout != "" || len(sc.Sources) > 0, len(sc.Layers) > 0} {
			if said {
				forms++
			}
		}
		if forms != 1 {
			return p.errAt(key, "say exactly one of source: (one source, full frame), layout: with sources:, or layers:")
		}
		switch {
		case sc.Source != "":
			if e := known(key+".source", sc.Source); e != nil {
				return e
			}
		case len(sc.Layers) > 0:
			for j, l := range sc.Layers {
				if e := p.checkLayerConfig(fmt.Sprintf("%s.layers[%d]", key, j), l, known); e != nil {
					return e
				}
			}
		default:
			max := LayoutMax(sc.Layout)
			if max == 0 {
				return p.errAt(key+".layout", "unknown layout %s (use one of %s)", quote(sc.Layout), layoutNames())
			}
			if len(sc.Sources) == 0 {
				return p.errAt(key+".sources", "layout %s needs its sources, e.g. sources: [host, guest1]", sc.Layout)
			}
			if len(sc.Sources) > max {
				return p.errAt(key+".sources", "layout %s shows at most %d sources (%d given)", sc.Layout, max, len(sc.Sources))
			}
			for j, name := range sc.Sources {
				if e := known(fmt.Sprintf("%s.sources[%d]", key, j), name); e != nil {
					return e
				}
			}
		}
		if sc.Background != "" && !colorRE.MatchString(sc.Background) {
			return p.errAt(key+".background", "%s is not a colour (use #rrggbb or a name such as navy)", quote(sc.Background))
		}
		if sc.BackgroundImage != "" {
			if e := p.checkFile(key+".background_image", sc.BackgroundImage); e != nil {
				return e
			}
		}
		if sc.Transition != nil {
			if e := p.checkTransition(key+".transition", *sc.Transition); e != nil {
				return e
			}
		}
	}
	return nil
}

func (p *Preset) checkLayerConfig(key string, l LayerConfig, known func(key, name string) *Error) *Error {
	if e := known(key+".source", l.Source); e != nil {
		return e
	}
	for _, d := range []struct {
		name string
		l    Length
	}{{"width", l.Width}, {"height", l.Height}} {
		if d.l.Value <= 0 {
			return p.errAt(key+"."+d.name, "must be > 0")
		}
		if d.l.Percent && d.l.Value > 1000 || !d.l.Percent && d.l.Value > 7680 {
			return p.errAt(key+"."+d.name, "%s is larger than any frame", d.l)
		}
	}
	for _, d := range []struct {
		name string
		l    Length
	}{{"x", l.X}, {"y", l.Y}} {
		if math.Abs(d.l.Value) > 7680 || d.l.Percent && math.Abs(d.l.Value) > 1000 {
			return p.errAt(key+"."+d.name, "%s is far outside any frame", d.l)
		}
	}
	c := l.Crop
	if c.Left < 0 || c.Top < 0 || c.Right < 0 || c.Bottom < 0 {
		return p.errAt(key+".crop", "pixels cut off each edge; must not be negative")
	}
	if !(l.Opacity >= 0 && l.Opacity <= 1) {
		return p.errAt(key+".opacity", "must be between 0 and 1")
	}
	if !contains(Fits, l.Fit) {
		return p.errAt(key+".fit", "unknown fit %s (use %s)", quote(l.Fit), strings.Join(Fits, ", "))
	}
	return nil
}

func (p *Preset) checkTransition(key string, t TransitionConfig) *Error {
	switch t.Kind {
	case TransitionCut:
	case TransitionFade:
		if t.DurationMs < 0 || t.DurationMs > MaxTransitionMs {
			return p.errAt(key+".duration_ms", "must be between 0 and %d", MaxTransitionMs)
		}
	default:
		return p.errAt(key+".kind", "unknown transition %s (use cut or fade)", quote(t.Kind))
	}
	return nil
}

// TransitionTo is how scene i comes on air: its own transition or the
// preset's, with a fade's default duration filled in.
func (p *Preset) TransitionTo(i int) TransitionConfig {
	t := p.Transition
	if sc := p.ProgramScenes(); i >= 0 && i < len(sc) && sc[i].Transition != nil {
		t = *sc[i].Transition
	}
	if t.Kind == "" {
		t.Kind = TransitionCut
	}
	if t.Kind == TransitionFade && t.DurationMs == 0 {
		t.DurationMs = DefaultFadeMs
	}
	return t
}

// checkMixer validates a source's mixer channel and, for guests, their URLs.
func (p *Preset) checkMixer(key string, s SourceConfig) *Error {
	if math.IsNaN(s.GainDB) || s.GainDB < stats.MinGainDB || s.GainDB > stats.MaxGainDB {
		return p.errAt(key+".gain_db", "must be between %g and %g", stats.MinGainDB, stats.MaxGainDB)
	}
	if !(s.Pan >= -1 && s.Pan <= 1) {
		return p.errAt(key+".pan", "must be between -1 (left) and 1 (right)")
	}
	if s.StaleMs < MinStaleMs || s.StaleMs > MaxStaleMs {
		return p.errAt(key+".stale_ms", "must be between %d and %d", MinStaleMs, MaxStaleMs)
	}
	if s.JitterMs < 0 || s.JitterMs > MaxJitterMs {
		return p.errAt(key+".jitter_ms", "must be between 0 and %d", MaxJitterMs)
	}
	if s.Kind != KindGuest {
		if s.Return != "" {
			return p.errAt(key+".return", "only guests (kind guest) have a return feed")
		}
		return nil
	}
	if strings.TrimSpace(s.Input) != "" {
		if reason := guestURLProblem(s.Input); reason != "" {
			return p.errAt(key+".input", "%s", reason)
		}
	}
	if s.Return != "" {
		if e := p.checkURL(key+".return", s.Return); e != nil {
			return e
		}
	}
	return nil
}

// guestURLProblem says what is wrong with a guest's pull URL, or "".
func guestURLProblem(u string) string {
	parts, ok := splitURL(u)
	if !ok || !validScheme(parts.scheme) {
		return "a guest is pulled from a URL: rtmp://, rtmps://, srt://, http:// or https:// (e.g. rtmp://127.0.0.1/live/guest1)"
	}
	switch strings.ToLower(parts.scheme) {
	case "rtmp", "rtmps", "srt", "http", "https":
	default:
		return fmt.Sprintf("scheme %s not supported for a guest (use rtmp, rtmps, srt, http or https)", quote(parts.scheme))
	}
	if parts.authority == "" {
		return maskForError(parts) + " has no host"
	}
	return ""
}

// resolveScenePaths expands ${NAME} in scene background images and makes
// relative ones relative to the preset's folder.
func (p *Preset) resolveScenePaths(dir string) *Error {
	for i := range p.Scenes {
		s := &p.Scenes[i].BackgroundImage
		if e := p.expand("scenes["+strconv.Itoa(i)+"].background_image", s); e != nil {
			return e
		}
		if *s != "" && dir != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(dir, *s)
		}
	}
	return nil
}
