package pipeline

/*
#cgo pkg-config: libavutil
#include <libavutil/frame.h>
*/
import "C"

import (
	"errors"
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

// makeWritable gives f buffers of its own (copying only when they are
// shared), so that samples can be changed in place. astiav v0.16.0 has no
// binding for av_frame_make_writable.
func makeWritable(f *astiav.Frame) error {
	if ret := C.av_frame_make_writable((*C.AVFrame)(f.UnsafePointer())); ret < 0 {
		return errors.New("audio frame: cannot make writable")
	}
	return nil
}

// packedPlane returns plane 0 of a packed video frame (e.g. RGBA) and its
// line size, without copying.
func packedPlane(f *astiav.Frame) ([]byte, int) {
	cf := (*C.AVFrame)(f.UnsafePointer())
	if cf.data[0] == nil || cf.linesize[0] <= 0 || cf.height <= 0 {
		return nil, 0
	}
	stride := int(cf.linesize[0])
	return unsafe.Slice((*byte)(unsafe.Pointer(cf.data[0])), stride*int(cf.height)), stride
}

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
		for _, s := range planarFloat(f, ch) {
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

func (m *levelMeter) add(f *astiav.Frame, channels int) { m.merge(measure(f, channels)) }

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
