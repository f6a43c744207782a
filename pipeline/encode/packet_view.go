package encode

/*
#cgo pkg-config: libavcodec
#include <libavcodec/packet.h>
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// packetView returns the payload of p without copying it. astiav's
// Packet.Data copies into a new Go slice on every call, which would allocate
// once per encoded frame; the view is valid until p is unreferenced.
//
// astiav.Packet is a struct whose only field is the *C.AVPacket; the test
// checks this view against Packet.Data so an astiav upgrade that changes the
// layout fails loudly.
func packetView(p *astiav.Packet) []byte {
	cp := *(**C.AVPacket)(unsafe.Pointer(p))
	if cp == nil || cp.data == nil || cp.size <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(cp.data)), int(cp.size))
}
