package dynamics

import (
	"fmt"
	"math"
	"sync/atomic"
)

// Gain limits: below MinGainDB the stage is silent (a fader at the bottom),
// above MaxGainDB SetGainDB clamps.
const (
	MinGainDB = -96.0
	MaxGainDB = 30.0
)

// GainConfig sets a Gain.
type GainConfig struct {
	// GainDB is the gain in dB, MinGainDB..MaxGainDB (at or below MinGainDB:
	// silence). Default 0.
	GainDB float64
	// Disabled makes the stage start bypassed (unity gain).
	Disabled bool
}

// DefaultGainConfig returns unity gain (0 dB), enabled.
func DefaultGainConfig() GainConfig { return GainConfig{} }

// Validate reports a gain the stage cannot use.
func (c GainConfig) Validate() error {
	if math.IsNaN(c.GainDB) || c.GainDB > MaxGainDB {
		return fmt.Errorf("gain: %g dB: must be at most %g", c.GainDB, MaxGainDB)
	}
	return nil
}

// Gain multiplies every sample by a gain set in dB from any goroutine. A
// change (or a toggle) is a linear ramp across the next block, so moving
// a fader never zips or clicks. It has no latency.
type Gain struct {
	channels int
	db       atomic.Uint64 // float64 bits of the requested gain in dB
	lastDB   float64       // processing goroutine: the dB target was computed from
	target   float32       // linear target for lastDB
	cur      float32       // linear gain reached at the end of the last block
	enabled  atomic.Bool
}

// NewGain makes a gain stage for blocks of channels planes at sampleRate.
func NewGain(sampleRate, channels int, cfg GainConfig) (*Gain, error) {
	if err := checkFormat(sampleRate, channels); err != nil {
		return nil, fmt.Errorf("gain: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Gain{channels: channels}
	g.SetGainDB(cfg.GainDB)
	g.lastDB = g.GainDB()
	g.target = linGain(g.lastDB)
	g.enabled.Store(!cfg.Disabled)
	g.cur = 1
	if !cfg.Disabled {
		g.cur = g.target
	}
	return g, nil
}

func linGain(db float64) float32 {
	if db <= MinGainDB {
		return 0
	}
	return float32(dbToLin(db))
}

// SetGainDB sets the gain from any goroutine; it takes effect over the next
// block. Values above MaxGainDB are clamped, NaN is ignored.
func (g *Gain) SetGainDB(db float64) {
	if math.IsNaN(db) {
		return
	}
	g.db.Store(math.Float64bits(min(db, MaxGainDB)))
}

// GainDB reports the requested gain in dB.
func (g *Gain) GainDB() float64 { return math.Float64frombits(g.db.Load()) }

// SetEnabled turns the stage on or off (unity gain) from any goroutine,
// ramping across the next block.
func (g *Gain) SetEnabled(on bool) { g.enabled.Store(on) }

// Enabled reports the last SetEnabled (or the config's) state.
func (g *Gain) Enabled() bool { return g.enabled.Load() }

// Process applies the gain to one block in place.
func (g *Gain) Process(planes [][]float32) error {
	n, err := checkBlock(planes, g.channels)
	if err != nil {
		return fmt.Errorf("gain: %w", err)
	}
	if db := g.GainDB(); db != g.lastDB {
		g.lastDB, g.target = db, linGain(db) // math.Pow once per change, not per block
	}
	to := g.target
	if !g.enabled.Load() {
		to = 1
	}
	from := g.cur
	g.cur = to
	if from == to {
		if to == 1 {
			return nil
		}
		for _, ch := range planes {
			for i := range ch {
				ch[i] *= to
			}
		}
		return nil
	}
	if n == 0 {
		return nil
	}
	step := (to - from) / float32(n)
	for _, ch := range planes {
		for i := range ch[:n-1] {
			ch[i] *= from + step*float32(i+1)
		}
		ch[n-1] *= to // land exactly on the target despite rounding
	}
	return nil
}

// Close releases nothing; it is there for filters.Audio.
func (g *Gain) Close() {}
