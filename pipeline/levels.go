package pipeline

/*
#cgo pkg-config: libavutil
#include <libavutil/frame.h>
*/
import "C"

import (
	"math"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// planarFloat returns channel ch of a planar-float audio frame without
// copying. astiav's FrameData copies whole planes into new Go slices, which
// would allocate on every audio frame.
func planarFloat(f *astiav.Frame, ch int) []float32 {
	cf := (*C.AVFrame)(f.UnsafePointer())
	if ch < 0 || ch >= C.AV_NUM_DATA_POINTERS || cf.data[ch] == nil || cf.nb_samples <= 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(cf.data[ch])), int(cf.nb_samples))
}

// levelMeter tracks peak and mean-square of the program audio between snapshots.
type levelMeter struct {
	peak  float64
	sumSq float64
	n     int
}

func (m *levelMeter) add(f *astiav.Frame, channels int) {
	for ch := 0; ch < channels; ch++ {
		for _, s := range planarFloat(f, ch) {
			v := math.Abs(float64(s))
			m.peak = max(m.peak, v)
			m.sumSq += v * v
		}
		m.n += f.NbSamples()
	}
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
