package chain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/pipeline/stats"
	"studio/presets"
)

// Every position a preset may name, and explicit x/y, makes a watermark
// (presets and the watermark agree on the names and on which fields a
// layer kind takes).
func TestEveryPresetPositionBuilds(t *testing.T) {
	var layers []presets.WatermarkLayer
	for _, pos := range presets.Positions {
		layers = append(layers, presets.WatermarkLayer{Text: pos, Size: 20, Color: "white", Position: pos, Margin: 8, Opacity: 1})
	}
	x, y := 10, 20
	layers = append(layers, presets.WatermarkLayer{Clock: "%T", Size: 20, Color: "white@0.5", Box: "#00000080",
		Position: "top-right", X: &x, Y: &y, Margin: 24, Opacity: 0.5})
	c, err := New("cam", presets.FiltersConfig{Watermark: &presets.WatermarkConfig{Enabled: true, Layers: layers}},
		Options{Width: 640, Height: 360, SampleRate: 48000, Channels: 2, Epoch: time.Unix(0, 0)})
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, []stats.Filter{{Name: stats.FilterWatermark, On: true}}, c.State())
}
