package av

// Bindings for the watermark stage (filters/watermark) that astiav v0.16.0
// lacks: FFmpeg's colour parser, so layers take the colour names and
// notations users know from ffmpeg's own filters, and setting a frame's
// metadata, through which the stage hands drawtext a new line of text
// (text='%{metadata:KEY}') without re-initialising the filter or
// allocating on the Go heap.

/*
#cgo pkg-config: libavutil
#include <stdlib.h>
#include <string.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/parseutils.h>

// set_metadata copies len bytes of val (not NUL-terminated) into a new
// string that the frame's dictionary takes over, so the caller's buffer
// may be reused at once.
static int set_metadata(AVFrame *f, const char *key, const char *val, size_t len) {
	char *v = av_malloc(len + 1);
	if (!v)
		return AVERROR(ENOMEM);
	memcpy(v, val, len);
	v[len] = 0;
	return av_dict_set(&f->metadata, key, v, AV_DICT_DONT_STRDUP_VAL);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// ParseColor reads a colour as FFmpeg's filters do (av_parse_color): a
// name ("white", "DarkOrange", case-insensitive), "#rrggbb", "#rrggbbaa",
// "0xrrggbb[aa]", optionally followed by "@alpha" (0..1 or 0xAA). It
// returns straight (not premultiplied) R, G, B, A. FFmpeg's "random" is
// refused: a colour that changes from run to run is never what a preset
// means.
func ParseColor(s string) ([4]uint8, error) {
	var rgba [4]uint8
	if s == "" {
		return rgba, errors.New("color: empty")
	}
	// FFmpeg picks a random colour for these names (before any "@alpha").
	name, _, _ := strings.Cut(s, "@")
	if strings.EqualFold(name, "random") || strings.EqualFold(name, "bikeshed") {
		return rgba, fmt.Errorf("color %q: random colours are not allowed", s)
	}
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	if ret := C.av_parse_color((*C.uint8_t)(unsafe.Pointer(&rgba[0])), cs, -1, nil); ret < 0 {
		return rgba, fmt.Errorf("color %q: not a colour (use #rrggbb, #rrggbbaa or a name such as white)", s)
	}
	return rgba, nil
}

// SetFrameMetadata sets f's metadata entry key to value (copied). The
// value is handed over as bytes so that a caller formatting text into a
// reused buffer makes no Go allocation; key is copied into C memory.
func SetFrameMetadata(f *astiav.Frame, key string, value []byte) error {
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	var p *C.char
	if len(value) > 0 {
		p = (*C.char)(unsafe.Pointer(&value[0]))
	}
	if ret := C.set_metadata((*C.AVFrame)(f.UnsafePointer()), ck, p, C.size_t(len(value))); ret < 0 {
		return fmt.Errorf("frame metadata %s: %w", key, astiav.Error(ret))
	}
	return nil
}

// FrameMetadata reads f's metadata entry key ("" when absent), for tests.
func FrameMetadata(f *astiav.Frame, key string) string {
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	e := C.av_dict_get((*C.AVFrame)(f.UnsafePointer()).metadata, ck, nil, 0)
	if e == nil {
		return ""
	}
	return C.GoString(e.value)
}

// RGBToYUV converts straight 8-bit sRGB to BT.601 limited-range YUV, the
// matrix FFmpeg assumes for untagged yuv420p (and libx264 is handed),
// with the usual integer coefficients (">>" floors):
//
//	Y =  16 + (( 66R + 129G +  25B + 128) >> 8)
//	U = 128 + ((−38R −  74G + 112B + 128) >> 8)
//	V = 128 + ((112R −  94G −  18B + 128) >> 8)
func RGBToYUV(r, g, b int) (y, u, v int) {
	y = 16 + (66*r+129*g+25*b+128)>>8
	u = 128 + (-38*r-74*g+112*b+128)>>8
	v = 128 + (112*r-94*g-18*b+128)>>8
	return
}
