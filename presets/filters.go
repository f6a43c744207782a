package presets

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"studio/internal/strftime"
)

// FiltersConfig is the processing of one source (sources[].filters, before
// the scene) or of the program (filters:, after it). A filter left out is
// not run; one written starts enabled unless it says `enabled: false`, and
// the console toggles it live either way. Video runs denoise → beauty →
// watermark; audio runs audio_denoise → gate → gain → limiter.
type FiltersConfig struct {
	Denoise      *DenoiseConfig      `yaml:"denoise,omitempty"`       // video noise reduction (hqdn3d)
	Beauty       *BeautyConfig       `yaml:"beauty,omitempty"`        // skin smoothing
	Watermark    *WatermarkConfig    `yaml:"watermark,omitempty"`     // logos, text and a clock
	AudioDenoise *AudioDenoiseConfig `yaml:"audio_denoise,omitempty"` // hiss and fan noise (afftdn)
	Gate         *GateConfig         `yaml:"gate,omitempty"`          // noise gate
	Gain         *GainConfig         `yaml:"gain,omitempty"`          // fixed gain before the limiter
	Limiter      *LimiterConfig      `yaml:"limiter,omitempty"`       // peak ceiling
}

// Empty reports whether no filter is configured.
func (f FiltersConfig) Empty() bool {
	return f.Denoise == nil && f.Beauty == nil && f.Watermark == nil &&
		f.AudioDenoise == nil && f.Gate == nil && f.Gain == nil && f.Limiter == nil
}

// DenoiseConfig is video noise reduction.
type DenoiseConfig struct {
	Enabled  bool    `yaml:"enabled"`  // default true
	Strength float64 `yaml:"strength"` // 0..1, default 0.5 (FFmpeg hqdn3d's own defaults)
}

// BeautyConfig is skin-aware smoothing: skin gets smoother while eyes,
// hair, edges and the background keep their detail.
type BeautyConfig struct {
	Enabled  bool    `yaml:"enabled"`  // default true
	Strength float64 `yaml:"strength"` // 0..1, default 0.5; the console's [ and ] move it
	Brighten float64 `yaml:"brighten"` // 0..1 lift of skin tones, default 0 (off)
}

// WatermarkConfig is a stack of overlays drawn in order.
type WatermarkConfig struct {
	Enabled bool             `yaml:"enabled"` // default true
	Layers  []WatermarkLayer `yaml:"layers"`  // at least one
}

// WatermarkLayer is one overlay: exactly one of image, text or clock.
type WatermarkLayer struct {
	Image string `yaml:"image"` // a PNG (alpha kept) or any picture FFmpeg reads; relative to the preset's folder; env-expanded
	Text  string `yaml:"text"`  // a fixed line of text
	Clock string `yaml:"clock"` // a strftime format of the local time, e.g. "%H:%M:%S"
	Zone  string `yaml:"zone"`  // clock: "" (the machine's zone), UTC or an IANA name such as Europe/Paris

	Font  string `yaml:"font"`  // text/clock: a TTF/OTF file; default DejaVu Sans (watermark.DefaultFont)
	Size  int    `yaml:"size"`  // text/clock: pixels, default 32
	Color string `yaml:"color"` // text/clock: #rrggbb, #rrggbbaa or a name; default white
	Box   string `yaml:"box"`   // text/clock: a box behind it, same colour forms ("#00000080"); default none

	Position string  `yaml:"position"`    // top-left, top-right (default), bottom-left, bottom-right or center; ignored when x and y are given
	X        *int    `yaml:"x,omitempty"` // left edge in pixels (with y)
	Y        *int    `yaml:"y,omitempty"` // top edge in pixels (with x)
	Margin   int     `yaml:"margin"`      // distance from the corner, pixels; default 24
	Scale    float64 `yaml:"scale"`       // image: its width as a fraction of the picture's; 0 (default) keeps its own size
	Opacity  float64 `yaml:"opacity"`     // 0..1, default 1
}

// AudioDenoiseConfig is FFT noise reduction of steady noise (hiss, fans).
type AudioDenoiseConfig struct {
	Enabled  bool    `yaml:"enabled"`  // default true
	Strength float64 `yaml:"strength"` // 0..1, default 0.5
}

// GateConfig is a noise gate with OBS's defaults.
type GateConfig struct {
	Enabled   bool    `yaml:"enabled"`    // default true
	OpenDB    float64 `yaml:"open_db"`    // opens above this level, default -26
	CloseDB   float64 `yaml:"close_db"`   // closes below this one, default -32
	AttackMs  int     `yaml:"attack_ms"`  // default 25
	HoldMs    int     `yaml:"hold_ms"`    // default 200
	ReleaseMs int     `yaml:"release_ms"` // default 150
}

// GainConfig is a fixed gain.
type GainConfig struct {
	Enabled bool    `yaml:"enabled"` // default true
	DB      float64 `yaml:"db"`      // -30..30
}

// LimiterConfig keeps every sample at or below a ceiling.
type LimiterConfig struct {
	Enabled   bool    `yaml:"enabled"`    // default true
	CeilingDB float64 `yaml:"ceiling_db"` // default -1 (dBFS)
	ReleaseMs int     `yaml:"release_ms"` // default 60
}

// Watermark positions (WatermarkLayer.Position).
var Positions = []string{"top-left", "top-right", "bottom-left", "bottom-right", "center"}

func (c *DenoiseConfig) setDefaults()      { *c = DenoiseConfig{Enabled: true, Strength: 0.5} }
func (c *BeautyConfig) setDefaults()       { *c = BeautyConfig{Enabled: true, Strength: 0.5} }
func (c *WatermarkConfig) setDefaults()    { *c = WatermarkConfig{Enabled: true} }
func (c *AudioDenoiseConfig) setDefaults() { *c = AudioDenoiseConfig{Enabled: true, Strength: 0.5} }
func (c *GainConfig) setDefaults()         { *c = GainConfig{Enabled: true} }
func (c *LimiterConfig) setDefaults() {
	*c = LimiterConfig{Enabled: true, CeilingDB: -1, ReleaseMs: 60}
}
func (c *GateConfig) setDefaults() {
	*c = GateConfig{Enabled: true, OpenDB: -26, CloseDB: -32, AttackMs: 25, HoldMs: 200, ReleaseMs: 150}
}
func (l *WatermarkLayer) setDefaults() {
	*l = WatermarkLayer{Size: 32, Color: "white", Position: "top-right", Margin: 24, Opacity: 1}
}

// textColorRE accepts what the watermark's colour parser (FFmpeg's) takes
// and is safe to pass on: #rrggbb, #rrggbbaa, 0xrrggbb[aa] or a plain name,
// each with an optional @alpha ("white@0.5"). An unknown name is caught
// when the watermark is made.
var textColorRE = regexp.MustCompile(`^((#|0x)[0-9a-fA-F]{6}([0-9a-fA-F]{2})?|[a-zA-Z]{3,20})(@(0|1|0?\.[0-9]{1,3}|1\.0{1,3}|0x[0-9a-fA-F]{2}))?$`)

// checkFilters validates one filters section at key.
func (p *Preset) checkFilters(key string, f FiltersConfig) *Error {
	unit := func(k string, v float64) *Error {
		if !(v >= 0 && v <= 1) {
			return p.errAt(key+"."+k, "must be between 0 and 1")
		}
		return nil
	}
	if c := f.Denoise; c != nil {
		if e := unit("denoise.strength", c.Strength); e != nil {
			return e
		}
	}
	if c := f.Beauty; c != nil {
		if e := unit("beauty.strength", c.Strength); e != nil {
			return e
		}
		if e := unit("beauty.brighten", c.Brighten); e != nil {
			return e
		}
	}
	if c := f.Watermark; c != nil {
		if len(c.Layers) == 0 {
			return p.errAt(key+".watermark.layers", "needs at least one layer (image:, text: or clock:)")
		}
		for i, l := range c.Layers {
			if e := p.checkLayer(key+".watermark.layers["+strconv.Itoa(i)+"]", l); e != nil {
				return e
			}
		}
	}
	if c := f.AudioDenoise; c != nil {
		if e := unit("audio_denoise.strength", c.Strength); e != nil {
			return e
		}
	}
	if c := f.Gate; c != nil {
		k := key + ".gate."
		switch {
		case c.OpenDB < -96 || c.OpenDB > 0:
			return p.errAt(k+"open_db", "must be between -96 and 0 (dB)")
		case c.CloseDB < -96 || c.CloseDB > 0:
			return p.errAt(k+"close_db", "must be between -96 and 0 (dB)")
		case c.CloseDB > c.OpenDB:
			return p.errAt(k+"close_db", "must not be above open_db (%g): the gate closes below where it opens", c.OpenDB)
		case c.AttackMs < 0 || c.AttackMs > 10000:
			return p.errAt(k+"attack_ms", "must be between 0 and 10000")
		case c.HoldMs < 0 || c.HoldMs > 10000:
			return p.errAt(k+"hold_ms", "must be between 0 and 10000")
		case c.ReleaseMs < 0 || c.ReleaseMs > 10000:
			return p.errAt(k+"release_ms", "must be between 0 and 10000")
		}
	}
	if c := f.Gain; c != nil && (c.DB < -30 || c.DB > 30) {
		return p.errAt(key+".gain.db", "must be between -30 and 30 (dB)")
	}
	if c := f.Limiter; c != nil {
		if c.CeilingDB < -30 || c.CeilingDB > 0 {
			return p.errAt(key+".limiter.ceiling_db", "must be between -30 and 0 (dBFS)")
		}
		if c.ReleaseMs < 1 || c.ReleaseMs > 5000 {
			return p.errAt(key+".limiter.release_ms", "must be between 1 and 5000")
		}
	}
	return nil
}

func (p *Preset) checkLayer(key string, l WatermarkLayer) *Error {
	kinds := 0
	for _, s := range []string{l.Image, l.Text, l.Clock} {
		if s != "" { // as the watermark counts them
			kinds++
		}
	}
	if kinds != 1 {
		return p.errAt(key, "say exactly one of image:, text: or clock:")
	}
	if l.Image != "" {
		if e := p.checkFile(key+".image", l.Image); e != nil {
			return e
		}
	}
	if strings.ContainsAny(l.Text+l.Clock, "\n\r") || len(l.Text) > 200 || len(l.Clock) > 200 {
		return p.errAt(key, "text and clock are one line of at most 200 characters")
	}
	if l.Clock != "" {
		if err := strftime.Check(l.Clock); err != nil {
			return p.errAt(key+".clock", "%v", err)
		}
	}
	if l.Font != "" {
		if e := p.checkFile(key+".font", l.Font); e != nil {
			return e
		}
	}
	if l.Size < 6 || l.Size > 400 {
		return p.errAt(key+".size", "must be between 6 and 400 (pixels)")
	}
	if !textColorRE.MatchString(l.Color) {
		return p.errAt(key+".color", "%s is not a colour (use #rrggbb, #rrggbbaa or a name such as white)", quote(l.Color))
	}
	if l.Box != "" && !textColorRE.MatchString(l.Box) {
		return p.errAt(key+".box", "%s is not a colour (use #rrggbb, #rrggbbaa such as \"#00000080\", or a name)", quote(l.Box))
	}
	if !contains(Positions, l.Position) {
		return p.errAt(key+".position", "unknown position %s (use one of %s, or x: and y:)", quote(l.Position), strings.Join(Positions, ", "))
	}
	if (l.X == nil) != (l.Y == nil) {
		return p.errAt(key, "give both x: and y:, or neither (then position: places it)")
	}
	if l.X != nil && (*l.X < 0 || *l.Y < 0) {
		return p.errAt(key+".x", "x and y must be >= 0")
	}
	if l.Margin < 0 {
		return p.errAt(key+".margin", "must be >= 0")
	}
	if !(l.Scale >= 0 && l.Scale <= 1) {
		return p.errAt(key+".scale", "must be between 0 (the image's own size) and 1 (the picture's width)")
	}
	if !(l.Opacity > 0 && l.Opacity <= 1) {
		return p.errAt(key+".opacity", "must be above 0 and at most 1 (to hide a layer, leave it out)")
	}
	if l.Zone != "" {
		if l.Clock == "" {
			return p.errAt(key+".zone", "only a clock: layer has a time zone")
		}
		if _, err := time.LoadLocation(l.Zone); err != nil {
			return p.errAt(key+".zone", "unknown time zone %s (use UTC or an IANA name such as Europe/Paris)", quote(l.Zone))
		}
	}
	return nil
}

// checkFile reports a file that cannot be read, with the path as written
// and the one looked at.
func (p *Preset) checkFile(key, path string) *Error {
	fi, err := os.Stat(path)
	switch {
	case err != nil && os.IsNotExist(err):
		return p.errAt(key, "%s: no such file", path)
	case err != nil:
		return p.errAt(key, "%s: %v", path, err)
	case fi.IsDir():
		return p.errAt(key, "%s is a folder, not a file", path)
	}
	return nil
}

// resolveFilterPaths expands ${NAME} in every image and font path and makes
// relative ones relative to the preset's folder, so that a preset and its
// logo travel together.
func (p *Preset) resolveFilterPaths(dir string) *Error {
	type section struct {
		key string
		f   *FiltersConfig
	}
	sections := []section{{"source.filters", &p.Source.Filters}}
	for i := range p.Sources {
		sections = append(sections, section{"sources[" + strconv.Itoa(i) + "].filters", &p.Sources[i].Filters})
	}
	sections = append(sections, section{"filters", &p.Filters})
	for _, sec := range sections {
		key, f := sec.key, sec.f
		if f.Watermark == nil {
			continue
		}
		for i := range f.Watermark.Layers {
			l := &f.Watermark.Layers[i]
			k := fmt.Sprintf("%s.watermark.layers[%d]", key, i)
			for _, field := range []struct {
				name string
				s    *string
			}{{"image", &l.Image}, {"font", &l.Font}} {
				if e := p.expand(k+"."+field.name, field.s); e != nil {
					return e
				}
				if *field.s != "" && dir != "" && !filepath.IsAbs(*field.s) {
					*field.s = filepath.Join(dir, *field.s)
				}
			}
		}
	}
	return nil
}
