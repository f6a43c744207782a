// Package av is where studio calls FFmpeg directly, for what astiav
// v0.16.0 lacks or makes costly on a per-frame path: Go slices over frame
// and packet memory without copying (astiav's FrameData and Packet.Data
// copy into new slices), av_frame_make_writable, and the codec and
// filter-sink calls whose status astiav turns into a new error value on
// every call (each drain ends in EAGAIN, so that was an allocation per
// frame), and for muxing a packet buffer refilled in place (astiav's
// Packet.FromData allocates one per packet) and the write position of an
// IOContext. Nothing else in studio uses cgo against FFmpeg's structs.
package av

/*
#cgo pkg-config: libavutil
#include <libavutil/frame.h>
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// PlanarFloat returns channel ch of a planar-float (fltp) audio frame.
func PlanarFloat(f *astiav.Frame, ch int) []float32 {
	cf := (*C.AVFrame)(f.UnsafePointer())
	if ch < 0 || ch >= C.AV_NUM_DATA_POINTERS || cf.data[ch] == nil || cf.nb_samples <= 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(cf.data[ch])), int(cf.nb_samples))
}

// PackedFloat returns the interleaved samples of a packed-float (flt) audio
// frame: NbSamples × channels values.
func PackedFloat(f *astiav.Frame, channels int) []float32 {
	cf := (*C.AVFrame)(f.UnsafePointer())
	if cf.data[0] == nil || cf.nb_samples <= 0 || channels <= 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(cf.data[0])), int(cf.nb_samples)*channels)
}

// MakeWritable gives f buffers of its own (copying only when they are
// shared), so that samples or pixels can be changed in place.
func MakeWritable(f *astiav.Frame) error {
	if ret := C.av_frame_make_writable((*C.AVFrame)(f.UnsafePointer())); ret < 0 {
		return errors.New("frame: cannot make writable")
	}
	return nil
}

// IsWritable says whether f's buffers are its own (not shared with
// another reference), so that writing into them changes no one else's frame.
func IsWritable(f *astiav.Frame) bool {
	return C.av_frame_is_writable((*C.AVFrame)(f.UnsafePointer())) > 0
}

// PackedPlane returns plane 0 of a packed video frame (e.g. RGBA) and its
// line size.
func PackedPlane(f *astiav.Frame) ([]byte, int) {
	cf := (*C.AVFrame)(f.UnsafePointer())
	if cf.data[0] == nil || cf.linesize[0] <= 0 || cf.height <= 0 {
		return nil, 0
	}
	stride := int(cf.linesize[0])
	return unsafe.Slice((*byte)(unsafe.Pointer(cf.data[0])), stride*int(cf.height)), stride
}

// Plane returns plane i of a planar video frame (yuv420p: 0 is Y at full
// size, 1 and 2 are U and V at half width and height, rounded up) and its
// line size, without copying: writes change the frame.
func Plane(f *astiav.Frame, i int) ([]byte, int) {
	cf := (*C.AVFrame)(f.UnsafePointer())
	if i < 0 || i >= C.AV_NUM_DATA_POINTERS || cf.data[i] == nil || cf.linesize[i] <= 0 || cf.height <= 0 {
		return nil, 0
	}
	h := int(cf.height)
	if i == 1 || i == 2 {
		h = (h + 1) / 2
	}
	stride := int(cf.linesize[i])
	return unsafe.Slice((*byte)(unsafe.Pointer(cf.data[i])), stride*h), stride
}
