package av

/*
#cgo pkg-config: libavcodec libavfilter libavutil
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// astiav's CodecContext, FilterContext and Packet are structs whose first
// field is the FFmpeg pointer; the functions below read it. call_test.go
// checks each against astiav's own accessors, so an astiav upgrade that
// changes a layout fails there.
func codecContext(cc *astiav.CodecContext) *C.AVCodecContext {
	return *(**C.AVCodecContext)(unsafe.Pointer(cc))
}

func filterContext(fc *astiav.FilterContext) *C.AVFilterContext {
	return *(**C.AVFilterContext)(unsafe.Pointer(fc))
}

func packet(p *astiav.Packet) *C.AVPacket {
	return *(**C.AVPacket)(unsafe.Pointer(p))
}

// The statuses a drain ends with, made once: errors.Is(err,
// astiav.ErrEagain) and astiav.ErrEof still hold.
var (
	errAgain error = astiav.ErrEagain
	errEOF   error = astiav.ErrEof
)

func status(ret C.int) error {
	switch {
	case ret >= 0:
		return nil
	case ret == -C.EAGAIN:
		return errAgain
	case ret == C.AVERROR_EOF:
		return errEOF
	}
	return astiav.Error(ret)
}

// ReceiveFrame is CodecContext.ReceiveFrame without an allocation for
// EAGAIN and EOF.
func ReceiveFrame(cc *astiav.CodecContext, f *astiav.Frame) error {
	return status(C.avcodec_receive_frame(codecContext(cc), (*C.AVFrame)(f.UnsafePointer())))
}

// ReceivePacket is CodecContext.ReceivePacket without an allocation for
// EAGAIN and EOF.
func ReceivePacket(cc *astiav.CodecContext, p *astiav.Packet) error {
	return status(C.avcodec_receive_packet(codecContext(cc), packet(p)))
}

// BuffersinkGetFrame is FilterContext.BuffersinkGetFrame (no flags)
// without an allocation for EAGAIN and EOF.
func BuffersinkGetFrame(sink *astiav.FilterContext, f *astiav.Frame) error {
	return status(C.av_buffersink_get_frame_flags(filterContext(sink), (*C.AVFrame)(f.UnsafePointer()), 0))
}

// SetRateControl sets an encoder's target bit rate with its VBV maximum
// rate and buffer (all bits per second / bits), which astiav v0.16 cannot
// set after opening. FFmpeg's libx264 wrapper compares them with its own
// copy before every frame and reconfigures x264 when they changed, so the
// next frame is coded at the new rate: no restart, no new keyframe.
func SetRateControl(cc *astiav.CodecContext, bitRate, maxRate int64, bufferSize int) {
	c := codecContext(cc)
	c.bit_rate = C.int64_t(bitRate)
	c.rc_max_rate = C.int64_t(maxRate)
	c.rc_buffer_size = C.int(bufferSize)
}

// RateControl reads back what SetRateControl sets.
func RateControl(cc *astiav.CodecContext) (bitRate, maxRate int64, bufferSize int) {
	c := codecContext(cc)
	return int64(c.bit_rate), int64(c.rc_max_rate), int(c.rc_buffer_size)
}

// PacketData is the payload of p, valid until p is unreferenced.
func PacketData(p *astiav.Packet) []byte {
	cp := packet(p)
	if cp == nil || cp.data == nil || cp.size <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(cp.data)), int(cp.size))
}

// filterName and codecName read through the pointers, for the layout test.
func filterName(fc *astiav.FilterContext) string { return C.GoString(filterContext(fc).filter.name) }
func codecName(cc *astiav.CodecContext) string   { return C.GoString(codecContext(cc).codec.name) }
