package chain

import (
	"fmt"
	"time"

	"studio/filters"
	"studio/filters/beauty"
	"studio/filters/denoise"
	"studio/filters/dynamics"
	"studio/filters/watermark"
	"studio/pipeline/stats"
	"studio/presets"
)

// New builds the chain of a source (name) or of the program
// (stats.ProgramName) from its filters: section. Errors name the filter
// and the file it could not use (a logo, a font).
func New(name string, cfg presets.FiltersConfig, o Options) (_ *Chain, err error) {
	c := &Chain{name: name, opts: o}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	// Denoise and beauty exist for every source (made on first use); the
	// watermark only where configured.
	dn := &videoSlot{name: stats.FilterDenoise, start: stats.DefaultStrength}
	bt := &videoSlot{name: stats.FilterBeauty, start: stats.DefaultStrength}
	wm := &videoSlot{name: stats.FilterWatermark}
	c.video = []*videoSlot{dn, bt, wm}
	c.make = c.makeStage
	if d := cfg.Denoise; d != nil {
		dn.on.Store(d.Enabled)
		dn.start = d.Strength
		if err := c.makeVideo(dn); err != nil {
			return nil, err
		}
	}
	if b := cfg.Beauty; b != nil {
		bt.on.Store(b.Enabled)
		bt.start = b.Strength
		c.brighten = b.Brighten
		if err := c.makeVideo(bt); err != nil {
			return nil, err
		}
	}
	if w := cfg.Watermark; w != nil {
		st, err := watermark.New(o.Width, o.Height, watermark.Config{Layers: layers(w.Layers), Epoch: o.Epoch})
		if err != nil {
			return nil, fmt.Errorf("watermark: %w", err)
		}
		wm.stage.Store(&videoStage{st})
		wm.on.Store(w.Enabled)
	}
	if err := c.buildAudio(cfg, o); err != nil {
		return nil, err
	}
	return c, nil
}

// buildAudio makes the configured audio stages, in order, each starting
// on or bypassed as the preset says.
func (c *Chain) buildAudio(cfg presets.FiltersConfig, o Options) error {
	add := func(name string, st audioStage) { c.audio = append(c.audio, &audioSlot{name: name, stage: st}) }
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	if d := cfg.AudioDenoise; d != nil {
		st, err := denoise.NewAudio(o.SampleRate, o.Channels, denoise.AudioConfig{Strength: d.Strength, Disabled: !d.Enabled})
		if err != nil {
			return err
		}
		add(stats.FilterAudioDenoise, st)
	}
	if g := cfg.Gate; g != nil {
		st, err := dynamics.NewGate(o.SampleRate, o.Channels, dynamics.GateConfig{
			OpenThresholdDB: g.OpenDB, CloseThresholdDB: g.CloseDB,
			Attack: ms(g.AttackMs), Hold: ms(g.HoldMs), Release: ms(g.ReleaseMs), Disabled: !g.Enabled})
		if err != nil {
			return err
		}
		add(stats.FilterGate, st)
	}
	if g := cfg.Gain; g != nil {
		st, err := dynamics.NewGain(o.SampleRate, o.Channels, dynamics.GainConfig{GainDB: g.DB, Disabled: !g.Enabled})
		if err != nil {
			return err
		}
		add(stats.FilterGain, st)
	}
	if l := cfg.Limiter; l != nil {
		lc := dynamics.DefaultLimiterConfig()
		lc.CeilingDB, lc.Release, lc.Disabled = l.CeilingDB, ms(l.ReleaseMs), !l.Enabled
		st, err := dynamics.NewLimiter(o.SampleRate, o.Channels, lc)
		if err != nil {
			return err
		}
		add(stats.FilterLimiter, st)
	}
	return nil
}

// makeStage makes beauty or denoise at a strength (the watermark needs
// its layers from the preset: nil).
func (c *Chain) makeStage(name string, strength float64) (filters.Video, error) {
	switch name {
	case stats.FilterDenoise:
		return denoise.NewVideo(c.opts.Width, c.opts.Height, denoise.VideoConfig{Strength: strength})
	case stats.FilterBeauty:
		return beauty.New(c.opts.Width, c.opts.Height, beauty.Config{Strength: strength, Brighten: c.brighten})
	}
	return nil, nil
}

// layers turns the preset's watermark layers into the stage's: explicit
// x/y is the top-left anchor with no margin, and each kind gets only the
// fields that apply to it.
func layers(in []presets.WatermarkLayer) []watermark.Layer {
	out := make([]watermark.Layer, 0, len(in))
	for _, l := range in {
		w := watermark.Layer{Position: watermark.Position(l.Position), Margin: l.Margin, Opacity: l.Opacity}
		if l.X != nil && l.Y != nil {
			w.Position, w.Margin, w.X, w.Y = watermark.TopLeft, 0, *l.X, *l.Y
		}
		if l.Image != "" {
			w.Image, w.Scale = l.Image, l.Scale
		} else {
			w.Text, w.Clock, w.Zone = l.Text, l.Clock, l.Zone
			w.Font, w.Size, w.Color, w.Box = l.Font, l.Size, l.Color, l.Box
			w.Padding = l.Size / 4
		}
		out = append(out, w)
	}
	return out
}

// The stages the chain drives live: a rename in one of them fails here,
// not as "has no strength" at run time.
var (
	_ strengthStage = (*beauty.Beauty)(nil)
	_ strengthStage = (*denoise.Video)(nil)
	_ strengthStage = (*denoise.Audio)(nil)
	_ audioStage    = (*denoise.Audio)(nil)
	_ audioStage    = (*dynamics.Gate)(nil)
	_ audioStage    = (*dynamics.Gain)(nil)
	_ audioStage    = (*dynamics.Limiter)(nil)
	_ filters.Video = (*watermark.Watermark)(nil)
)
