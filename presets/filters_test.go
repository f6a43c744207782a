package presets

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFilterErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown filter", "filters:\n  blur: {}\n",
			"my.yaml:2: filters.blur: unknown key (known: denoise, beauty, watermark, audio_denoise, gate, gain, limiter)"},
		{"beauty strength", "sources:\n  - name: cam\n    filters:\n      beauty:\n        strength: 1.5\n",
			"my.yaml:5: sources[0].filters.beauty.strength: must be between 0 and 1"},
		{"beauty unknown key", "source:\n  filters:\n    beauty: {strenght: 0.3}\n",
			"my.yaml:3: source.filters.beauty.strenght: unknown key (known: enabled, strength, brighten)"},
		{"beauty type", "filters:\n  beauty: {enabled: maybe}\n", `my.yaml:2: filters.beauty.enabled: "maybe" is not true or false`},
		{"denoise strength", "filters:\n  denoise: {strength: -1}\n", "my.yaml:2: filters.denoise.strength: must be between 0 and 1"},
		{"watermark no layers", "filters:\n  watermark: {enabled: true}\n",
			"my.yaml:2: filters.watermark.layers: needs at least one layer (image:, text: or clock:)"},
		{"layer two kinds", "filters:\n  watermark:\n    layers:\n      - text: LIVE\n        clock: \"%H\"\n",
			"my.yaml:4: filters.watermark.layers[0]: say exactly one of image:, text: or clock:"},
		{"layer missing image", "filters:\n  watermark:\n    layers:\n      - image: /nonexistent/logo.png\n",
			"my.yaml:4: filters.watermark.layers[0].image: /nonexistent/logo.png: no such file"},
		{"layer position", "filters:\n  watermark:\n    layers:\n      - text: LIVE\n        position: top\n",
			`my.yaml:5: filters.watermark.layers[0].position: unknown position "top" (use one of top-left, top-right, bottom-left, bottom-right, center, or x: and y:)`},
		{"layer x without y", "filters:\n  watermark:\n    layers:\n      - text: LIVE\n        x: 10\n",
			"my.yaml:4: filters.watermark.layers[0]: give both x: and y:, or neither (then position: places it)"},
		{"layer colour", "filters:\n  watermark:\n    layers:\n      - clock: \"%T\"\n        color: \"#fff\"\n",
			`my.yaml:5: filters.watermark.layers[0].color: "#fff" is not a colour (use #rrggbb, #rrggbbaa or a name such as white)`},
		{"layer opacity", "filters:\n  watermark:\n    layers:\n      - text: LIVE\n        opacity: 2\n",
			"my.yaml:5: filters.watermark.layers[0].opacity: must be above 0 and at most 1 (to hide a layer, leave it out)"},
		{"layer zone", "filters:\n  watermark:\n    layers:\n      - clock: \"%T\"\n        zone: Mars/Olympus\n",
			`my.yaml:5: filters.watermark.layers[0].zone: unknown time zone "Mars/Olympus" (use UTC or an IANA name such as Europe/Paris)`},
		{"clock format", "filters:\n  watermark:\n    layers:\n      - clock: \"%H:%Q\"\n",
			`my.yaml:4: filters.watermark.layers[0].clock: clock format "%H:%Q": unknown conversion %Q (known: %a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k %l %m %M %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %%)`},
		{"blank text beside a clock", "filters:\n  watermark:\n    layers:\n      - text: \"  \"\n        clock: \"%T\"\n",
			"my.yaml:4: filters.watermark.layers[0]: say exactly one of image:, text: or clock:"},
		{"colour with bad alpha", "filters:\n  watermark:\n    layers:\n      - text: LIVE\n        color: white@2\n",
			`my.yaml:5: filters.watermark.layers[0].color: "white@2" is not a colour (use #rrggbb, #rrggbbaa or a name such as white)`},
		{"layer size", "filters:\n  watermark:\n    layers:\n      - text: LIVE\n        size: 2\n",
			"my.yaml:5: filters.watermark.layers[0].size: must be between 6 and 400 (pixels)"},
		{"gate order", "filters:\n  gate: {open_db: -40, close_db: -30}\n",
			"my.yaml:2: filters.gate.close_db: must not be above open_db (-40): the gate closes below where it opens"},
		{"gate level", "filters:\n  gate:\n    open_db: 6\n", "my.yaml:3: filters.gate.open_db: must be between -96 and 0 (dB)"},
		{"limiter ceiling", "filters:\n  limiter: {ceiling_db: 3}\n", "my.yaml:2: filters.limiter.ceiling_db: must be between -30 and 0 (dBFS)"},
		{"gain", "sources:\n  - name: mic\n    filters:\n      gain:\n        db: 40\n", "my.yaml:5: sources[0].filters.gain.db: must be between -30 and 30 (dB)"},
		{"source named program", "sources:\n  - name: program\n", `my.yaml:2: sources[0].name: "program" names the program's own filters; choose another name`},
		{"logo env", "filters:\n  watermark:\n    layers:\n      - image: ${STUDIO_TEST_UNSET_LOGO}\n",
			"my.yaml:4: filters.watermark.layers[0].image: environment variable STUDIO_TEST_UNSET_LOGO is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("my.yaml", []byte(tc.yaml))
			require.Nil(t, p)
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestFilterDefaults(t *testing.T) {
	p, err := Parse("my.yaml", []byte(`
sources:
  - name: cam
    filters:
      beauty: {}
      gate: {open_db: -20}
      audio_denoise: {enabled: false}
      watermark:
        layers:
          - clock: "%H:%M:%S"
          - text: LIVE
            x: 10
            y: 20
filters:
  limiter:
`))
	require.NoError(t, err)
	f := p.Sources[0].Filters
	require.Equal(t, &BeautyConfig{Enabled: true, Strength: 0.5}, f.Beauty)
	require.Equal(t, &GateConfig{Enabled: true, OpenDB: -20, CloseDB: -32, AttackMs: 25, HoldMs: 200, ReleaseMs: 150}, f.Gate)
	require.Equal(t, &AudioDenoiseConfig{Enabled: false, Strength: 0.5}, f.AudioDenoise)
	require.Nil(t, f.Denoise, "not written, not run")
	require.Nil(t, f.Limiter)
	require.Len(t, f.Watermark.Layers, 2)
	require.Equal(t, WatermarkLayer{Clock: "%H:%M:%S", Size: 32, Color: "white", Position: "top-right", Margin: 24, Opacity: 1}, f.Watermark.Layers[0])
	require.Equal(t, 10, *f.Watermark.Layers[1].X)
	require.Equal(t, 20, *f.Watermark.Layers[1].Y)
	// `limiter:` with nothing under it turns it on with its defaults.
	require.Equal(t, &LimiterConfig{Enabled: true, CeilingDB: -1, ReleaseMs: 60}, p.Filters.Limiter)
	require.False(t, p.Filters.Empty())
	require.True(t, p.Sources[0].Filters.Denoise == nil && FiltersConfig{}.Empty())
	require.False(t, f.Empty())
}

func TestFilterPathsAreRelativeToThePreset(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logo.png"), []byte("png"), 0o644))
	t.Setenv("STUDIO_TEST_LOGO_DIR", dir)
	file := filepath.Join(dir, "show.yaml")
	yaml := "filters:\n  watermark:\n    layers:\n      - image: logo.png\n      - image: ${STUDIO_TEST_LOGO_DIR}/logo.png\n"
	require.NoError(t, os.WriteFile(file, []byte(yaml), 0o644))
	p, err := Load(file)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "logo.png"), p.Filters.Watermark.Layers[0].Image, "beside the preset, not the working directory")
	require.Equal(t, filepath.Join(dir, "logo.png"), p.Filters.Watermark.Layers[1].Image)
}

// The colour forms the watermark documents are accepted.
func TestFilterColours(t *testing.T) {
	for _, c := range []string{"white", "#ff8000", "#ff800080", "0xFF8000", "white@0.5", "#000000@0x80", "gold@1"} {
		_, err := Parse("my.yaml", []byte("filters:\n  watermark:\n    layers:\n      - text: LIVE\n        color: \""+c+"\"\n"))
		require.NoError(t, err, c)
	}
}
