package av

import (
	"errors"
	"fmt"

	"github.com/asticode/go-astiav"
)

// DecodePicture returns the first decoded video frame of path: any picture
// FFmpeg reads (PNG, JPEG, WebP, GIF, BMP, TIFF, …; the first frame of an
// animation or a video), in the decoder's own pixel format. The caller
// frees it. Errors say what went wrong without the path; callers name it.
func DecodePicture(path string) (*astiav.Frame, error) {
	fc := astiav.AllocFormatContext()
	if fc == nil {
		return nil, errors.New("allocation failed")
	}
	if err := fc.OpenInput(path, nil, nil); err != nil {
		fc.Free()
		return nil, err
	}
	defer fc.CloseInput()
	if err := fc.FindStreamInfo(nil); err != nil {
		return nil, err
	}
	var st *astiav.Stream
	for _, s := range fc.Streams() {
		if s.CodecParameters().MediaType() == astiav.MediaTypeVideo {
			st = s
			break
		}
	}
	if st == nil {
		return nil, errors.New("no picture in it")
	}
	codec := astiav.FindDecoder(st.CodecParameters().CodecID())
	if codec == nil {
		return nil, fmt.Errorf("no decoder for %s", st.CodecParameters().CodecID())
	}
	cc := astiav.AllocCodecContext(codec)
	if cc == nil {
		return nil, errors.New("allocation failed")
	}
	defer cc.Free()
	if err := st.CodecParameters().ToCodecContext(cc); err != nil {
		return nil, err
	}
	cc.SetThreadCount(1)
	if err := cc.Open(codec, nil); err != nil {
		return nil, err
	}
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	f := astiav.AllocFrame()
	ok := false
	defer func() {
		if !ok {
			f.Free()
		}
	}()
	idx := st.Index()
	for {
		err := fc.ReadFrame(pkt)
		if errors.Is(err, astiav.ErrEof) {
			break
		}
		if err != nil {
			return nil, err
		}
		if pkt.StreamIndex() != idx {
			pkt.Unref()
			continue
		}
		err = cc.SendPacket(pkt)
		pkt.Unref()
		if err != nil && !errors.Is(err, astiav.ErrEagain) {
			return nil, err
		}
		switch err := cc.ReceiveFrame(f); {
		case err == nil:
			ok = true
			return checkPicture(f)
		case !errors.Is(err, astiav.ErrEagain):
			return nil, err
		}
	}
	// A decoder that holds frames back gives them up when flushed.
	if err := cc.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		return nil, err
	}
	if err := cc.ReceiveFrame(f); err == nil {
		ok = true
		return checkPicture(f)
	}
	return nil, errors.New("no picture in it")
}

// checkPicture frees f and says so when it has no size.
func checkPicture(f *astiav.Frame) (*astiav.Frame, error) {
	if f.Width() <= 0 || f.Height() <= 0 {
		f.Free()
		return nil, errors.New("picture of no size")
	}
	return f, nil
}
