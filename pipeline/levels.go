package pipeline

import (
	"math"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
)

// levelMeter tracks peak and mean-square of audio between readings.
type levelMeter struct {
	peak  float64
	sumSq float64
	n     int
}

// measure reads one planar-float frame in one pass.
func measure(f *astiav.Frame, channels int) levelMeter {
	var m levelMeter
	for ch := 0; ch < channels; ch++ {
		for _, s := range av.PlanarFloat(f, ch) {
			v := math.Abs(float64(s))
			m.peak = max(m.peak, v)
			m.sumSq += v * v
		}
		m.n += f.NbSamples()
	}
	return m
}

// merge adds a measured frame to the meter.
func (m *levelMeter) merge(o levelMeter) {
	m.peak = max(m.peak, o.peak)
	m.sumSq += o.sumSq
	m.n += o.n
}

// scale is the reading of the same samples multiplied by g.
func (m *levelMeter) scale(g float32) {
	m.peak *= math.Abs(float64(g))
	m.sumSq *= float64(g) * float64(g)
}

// take returns peak and RMS in dBFS and resets the meter; measured is false
// when no samples came in since the last take.
func (m *levelMeter) take() (peakDB, rmsDB float64, measured bool) {
	peakDB, rmsDB, measured = dbfs(m.peak), -120.0, m.n > 0
	if measured {
		rmsDB = dbfs(math.Sqrt(m.sumSq / float64(m.n)))
	}
	*m = levelMeter{}
	return
}

func dbfs(v float64) float64 {
	if v <= 1e-6 {
		return -120
	}
	return math.Round(20*math.Log10(v)*10) / 10
}
