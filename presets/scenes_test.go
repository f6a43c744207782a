package presets

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const twoSources = "sources:\n  - name: host\n  - name: g1\n    kind: guest\n    input: rtmp://127.0.0.1/live/g1\n"

func TestSceneErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"two forms", "scenes:\n  - name: A\n    source: host\n    layout: pip\n    sources: [host, g1]\n",
			"my.yaml:7: scenes[0]: say exactly one of source: (one source, full frame), layout: with sources:, or layers:"},
		{"unknown layout", "scenes:\n  - name: A\n    layout: mosaic\n    sources: [host]\n",
			`my.yaml:8: scenes[0].layout: unknown layout "mosaic" (use one of full, pip, side-by-side, grid, host+3)`},
		{"too many", "scenes:\n  - name: A\n    layout: pip\n    sources: [host, g1, host]\n",
			"my.yaml:9: scenes[0].sources: layout pip shows at most 2 sources (3 given)"},
		{"layout without sources", "scenes:\n  - name: A\n    layout: grid\n",
			"my.yaml:7: scenes[0].sources: layout grid needs its sources, e.g. sources: [host, guest1]"},
		{"unknown layout source", "scenes:\n  - name: A\n    layout: grid\n    sources: [host, g2]\n",
			"my.yaml:9: scenes[0].sources[1]: unknown source \"g2\" (sources are: host, g1)"},
		{"layer source", "scenes:\n  - name: A\n    layers:\n      - source: nobody\n",
			"my.yaml:9: scenes[0].layers[0].source: unknown source \"nobody\" (sources are: host, g1)"},
		{"bad length", "scenes:\n  - name: A\n    layers:\n      - source: host\n        width: 10px\n",
			`my.yaml:10: scenes[0].layers[0].width: "10px" is not a length (pixels such as 320, or a share such as 25%)`},
		{"zero width", "scenes:\n  - name: A\n    layers:\n      - source: host\n        width: 0\n",
			"my.yaml:10: scenes[0].layers[0].width: must be > 0"},
		{"opacity", "scenes:\n  - name: A\n    layers:\n      - source: host\n        opacity: 1.5\n",
			"my.yaml:10: scenes[0].layers[0].opacity: must be between 0 and 1"},
		{"fit", "scenes:\n  - name: A\n    layers:\n      - source: host\n        fit: fill\n",
			`my.yaml:10: scenes[0].layers[0].fit: unknown fit "fill" (use cover, contain, stretch)`},
		{"crop", "scenes:\n  - name: A\n    layers:\n      - source: host\n        crop: {left: -2}\n",
			"my.yaml:10: scenes[0].layers[0].crop: pixels cut off each edge; must not be negative"},
		{"background", "scenes:\n  - name: A\n    source: host\n    background: '#12345'\n",
			`my.yaml:9: scenes[0].background: "#12345" is not a colour (use #rrggbb or a name such as navy)`},
		{"background image", "scenes:\n  - name: A\n    source: host\n    background_image: /nonexistent/bg.png\n",
			"my.yaml:9: scenes[0].background_image: /nonexistent/bg.png: no such file"},
		{"transition", "transition:\n  kind: wipe\n", `my.yaml:7: transition.kind: unknown transition "wipe" (use cut or fade)`},
		{"fade too long", "scenes:\n  - name: A\n    source: host\n    transition: {kind: fade, duration_ms: 60000}\n",
			"my.yaml:9: scenes[0].transition.duration_ms: must be between 0 and 10000"},
		{"guest scheme", "sources:\n  - name: g\n    kind: guest\n    input: udp://1.2.3.4:5000\n",
			`my.yaml:4: sources[0].input: scheme "udp" not supported for a guest (use rtmp, rtmps, srt, http or https)`},
		{"return scheme", "sources:\n  - name: g\n    kind: guest\n    input: srt://1.2.3.4:5000\n    return: http://x/live/key\n",
			`my.yaml:5: sources[0].return: scheme "http" not supported (use rtmp:// or rtmps://)`},
		{"return on a non-guest", "sources:\n  - name: h\n    return: rtmp://x/live/key\n",
			"my.yaml:3: sources[0].return: only guests (kind guest) have a return feed"},
		{"stale", "sources:\n  - name: g\n    kind: guest\n    input: srt://1.2.3.4:5000\n    stale_ms: 10\n",
			"my.yaml:5: sources[0].stale_ms: must be between 500 and 60000"},
		{"pan", "sources:\n  - name: h\n    pan: 2\n", "my.yaml:3: sources[0].pan: must be between -1 (left) and 1 (right)"},
		{"gain", "sources:\n  - name: h\n    gain_db: 40\n", "my.yaml:3: sources[0].gain_db: must be between -60 and 20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := tc.yaml
			if y[:8] != "sources:" {
				y = twoSources + y
			}
			_, err := Parse("my.yaml", []byte(y))
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestScenesParse(t *testing.T) {
	t.Setenv("STUDIO_TEST_G1", "")
	p, err := Parse("my.yaml", []byte(twoSources+"  - name: g2\n    kind: guest\n    input: ${STUDIO_TEST_G1:-srt://127.0.0.1:9000}\n"+
		"    return: ${STUDIO_TEST_G1_RET:-rtmp://127.0.0.1/live/back}\n"+
		"scenes:\n  - name: Duo\n    layout: side-by-side\n    sources: [host, g1]\n    transition: {kind: fade}\n"+
		"  - name: Free\n    layers:\n      - source: host\n      - {source: g1, x: 75%, y: 10, width: 25%, height: 180, z: -1, opacity: 0.5, fit: contain}\n"+
		"transition: {kind: fade, duration_ms: 500}\n"))
	require.NoError(t, err)
	require.Equal(t, "srt://127.0.0.1:9000", p.Sources[2].Input, "${NAME:-default} with NAME empty")
	require.Equal(t, "rtmp://127.0.0.1/live/back", p.Sources[2].Return, "${NAME:-default} with NAME unset")
	require.Equal(t, DefaultStaleMs, p.Sources[1].StaleMs)
	require.Equal(t, []string{"host", "g1"}, p.Scenes[0].Sources)
	require.Equal(t, TransitionConfig{Kind: TransitionFade, DurationMs: DefaultFadeMs}, p.TransitionTo(0), "a scene's fade, default length")
	require.Equal(t, TransitionConfig{Kind: TransitionFade, DurationMs: 500}, p.TransitionTo(1), "the preset's")
	host, g1 := p.Scenes[1].Layers[0], p.Scenes[1].Layers[1]
	require.Equal(t, LayerConfig{Source: "host", Width: Length{100, true}, Height: Length{100, true}, Opacity: 1, Fit: "cover"}, host)
	require.Equal(t, 960, g1.X.Pixels(1280))
	require.Equal(t, 10, g1.Y.Pixels(720))
	require.Equal(t, 320, g1.Width.Pixels(1280))
	require.Equal(t, 180, g1.Height.Pixels(720))
	require.Equal(t, -1, g1.Z)
	require.Equal(t, "contain", g1.Fit)
	require.Equal(t, 0.5, g1.Opacity)
}
