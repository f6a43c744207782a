package filters

/*
#cgo pkg-config: libavfilter libavutil
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// astiav v0.16.0 returns every FFmpeg status as a new error value, so the
// EAGAIN that ends each drain of a graph costs an allocation per frame.
// Pull calls the buffer sink itself and answers with errors made once.
var (
	errAgain error = astiav.ErrEagain
	errEOF   error = astiav.ErrEof
)

// sinkContext is the AVFilterContext behind an astiav FilterContext, whose
// only field is that pointer (guarded by TestSinkContextLayout).
func sinkContext(fc *astiav.FilterContext) *C.AVFilterContext {
	return *(**C.AVFilterContext)(unsafe.Pointer(fc))
}

// sinkFilterName is the name of the filter behind fc, for the layout test.
func sinkFilterName(fc *astiav.FilterContext) string {
	return C.GoString(sinkContext(fc).filter.name)
}

// pull takes the next frame from the sink into f.
func pull(sink *astiav.FilterContext, f *astiav.Frame) error {
	ret := C.av_buffersink_get_frame_flags(sinkContext(sink), (*C.AVFrame)(f.UnsafePointer()), 0)
	switch {
	case ret >= 0:
		return nil
	case ret == C.AVERROR_EOF:
		return errEOF
	case ret == -C.EAGAIN:
		return errAgain
	}
	return astiav.Error(ret)
}
