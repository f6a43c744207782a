package av

// A binding for the compositor (filters/composite) that astiav v0.16.0
// lacks: scaling a rectangle of a yuv420p picture without copying it out
// first. astiav's ScaleFrame takes whole frames; cropping there would need
// a view frame with offset data pointers, which astiav cannot make (and
// sws_scale_frame re-references its frames on every call).

/*
#cgo pkg-config: libavutil libswscale
#include <stddef.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

// studio_scale_region scales the rectangle of the yuv420p picture src
// whose top-left luma sample is (x, y) and whose height is h (its width is
// the context's source width) into dst. Chroma starts at (x/2, y/2).
static int studio_scale_region(struct SwsContext *c, const AVFrame *src, int x, int y, int h, AVFrame *dst) {
	const uint8_t *in[4] = {NULL};
	int stride[4] = {0};
	for (int i = 0; i < 3; i++) {
		int sx = i ? x >> 1 : x, sy = i ? y >> 1 : y;
		in[i] = src->data[i] + (ptrdiff_t)sy * src->linesize[i] + sx;
		stride[i] = src->linesize[i];
	}
	return sws_scale(c, in, stride, 0, h, dst->data, dst->linesize);
}

// studio_class_name is the class name of an FFmpeg object (its first
// field is its AVClass), for the layout test.
static const char *studio_class_name(void *obj) {
	return (*(const AVClass **)obj)->class_name;
}
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// ScaleAccurateRnd is swscale's SWS_ACCURATE_RND flag, which astiav
// v0.16.0 does not name: exact rounding in the vertical filter. Without
// it, bilinear downscaling by large factors (640×360 → 33×17) turns part
// of a flat 150 into 151; with it a flat colour stays exact, at no cost
// measurable here.
const ScaleAccurateRnd = astiav.SoftwareScaleContextFlag(C.SWS_ACCURATE_RND)

// swsContext reads the SwsContext pointer out of astiav's wrapper (its
// first field, like the others in call.go; TestScaleContextLayout checks it).
func swsContext(ssc *astiav.SoftwareScaleContext) *C.struct_SwsContext {
	return *(**C.struct_SwsContext)(unsafe.Pointer(ssc))
}

// errScaleArgs is returned for a region or frame that does not fit ssc.
var errScaleArgs = errors.New("scale region: the region or a frame does not match the scale context (both yuv420p, region inside src, sizes as the context was made)")

// ScaleRegion scales the rectangle of src whose top-left luma sample is
// (x, y) into the whole of dst, through ssc, without copying the region
// out: the scaler reads src's planes at an offset. The region's size is
// ssc's source size, dst's is ssc's destination size; src and dst are
// yuv420p, as is ssc on both sides. Chroma is read from (x/2, y/2): with
// an odd x or y the chroma is taken half a luma sample up or left of the
// luma (the nearest chroma sample). Nothing is allocated.
func ScaleRegion(ssc *astiav.SoftwareScaleContext, src *astiav.Frame, x, y int, dst *astiav.Frame) error {
	w, h := ssc.SourceResolution()
	dw, dh := ssc.DestinationResolution()
	if x < 0 || y < 0 || x+w > src.Width() || y+h > src.Height() ||
		src.PixelFormat() != astiav.PixelFormatYuv420P || dst.PixelFormat() != astiav.PixelFormatYuv420P ||
		ssc.SourcePixelFormat() != astiav.PixelFormatYuv420P || ssc.DestinationPixelFormat() != astiav.PixelFormatYuv420P ||
		dst.Width() != dw || dst.Height() != dh {
		return errScaleArgs
	}
	ret := C.studio_scale_region(swsContext(ssc), (*C.AVFrame)(src.UnsafePointer()), C.int(x), C.int(y), C.int(h),
		(*C.AVFrame)(dst.UnsafePointer()))
	if ret < 0 {
		return astiav.Error(ret)
	}
	return nil
}

// scaleContextClass is the class name of the FFmpeg object behind ssc.
func scaleContextClass(ssc *astiav.SoftwareScaleContext) string {
	return C.GoString(C.studio_class_name(unsafe.Pointer(swsContext(ssc))))
}
