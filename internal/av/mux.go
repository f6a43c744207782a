package av

/*
#cgo pkg-config: libavcodec libavformat libavutil
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avio.h>

// studio_packet_fill copies size bytes into p, reusing p's buffer when it is
// p's alone and big enough, so that a muxer fed from one packet allocates
// nothing per packet. Only the payload changes; the caller sets the rest.
static int studio_packet_fill(AVPacket *p, const uint8_t *data, int size) {
	if (!p->buf || !av_buffer_is_writable(p->buf) ||
	    p->buf->size < (size_t)size + AV_INPUT_BUFFER_PADDING_SIZE) {
		av_packet_unref(p);
		// Room to grow: the next frames are about as big.
		int ret = av_new_packet(p, size + size / 2 + 4096);
		if (ret < 0)
			return ret;
	}
	p->data = p->buf->data;
	if (size > 0)
		memcpy(p->data, data, size);
	memset(p->data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	p->size = size;
	return 0;
}
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// ioContext reads the AVIOContext pointer out of astiav's wrapper (its first
// field, like the others in call.go; TestLayouts checks it).
func ioContext(ic *astiav.IOContext) *C.AVIOContext {
	return *(**C.AVIOContext)(unsafe.Pointer(ic))
}

// PacketFill makes p hold a copy of data, in p's own reference-counted
// buffer: the buffer is reused from the last call when nobody else holds it
// and it is big enough, so steady-state muxing allocates nothing (astiav's
// Packet.FromData allocates a new buffer every time). Timestamps, flags and
// stream index are left as they were; set them after.
func PacketFill(p *astiav.Packet, data []byte) error {
	var src *C.uint8_t
	if len(data) > 0 {
		src = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	return status(C.studio_packet_fill(packet(p), src, C.int(len(data))))
}

// IOTell is the write position of ic (avio_tell): after a flush, the number
// of bytes in a file written from the start. astiav's IOContext.Seek turns
// positions past 2 GiB into errors.
func IOTell(ic *astiav.IOContext) int64 {
	return int64(C.avio_seek(ioContext(ic), 0, C.SEEK_CUR))
}
