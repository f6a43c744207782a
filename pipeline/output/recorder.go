package output

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"studio/pipeline/media"
	"studio/pipeline/output/flv"
)

// Recorder writes the program to a local FLV file. Every tag goes to the
// kernel with one write, with no user-space buffering, so a file cut short
// by a crash or kill -9 is still playable up to its last whole tag.
type Recorder struct {
	Path string

	f       *os.File
	tags    tagger
	buf     []byte
	written atomic.Int64
}

// Open implements Sink: it creates the file and writes the FLV header,
// onMetaData and both sequence headers. An audio-only header (no H.264
// configuration, no size) makes an audio-only file: the FLV header flags
// audio alone and there is no AVC sequence header.
func (r *Recorder) Open(_ context.Context, h media.StreamHeader) error {
	hb, err := makeHeaderBodies(h)
	if err != nil {
		return &PermanentError{err}
	}
	f, err := os.OpenFile(r.Path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return &PermanentError{fmt.Errorf("recording: %w", err)}
	}
	r.f = f
	r.buf = append(r.buf[:0], flv.FileHeader(true, hb.avcSeq != nil)...)
	r.buf = flv.AppendTag(r.buf, flv.TagScript, 0, hb.metadata)
	if hb.avcSeq != nil {
		r.buf = flv.AppendTag(r.buf, flv.TagVideo, 0, hb.avcSeq)
	}
	r.buf = flv.AppendTag(r.buf, flv.TagAudio, 0, hb.aacSeq)
	return r.flush()
}

// Write implements Sink.
func (r *Recorder) Write(p *media.Packet) error {
	typ, ts, body := r.tags.body(p)
	r.buf = flv.AppendTag(r.buf[:0], typ, ts, body)
	return r.flush()
}

func (r *Recorder) flush() error {
	n, err := r.f.Write(r.buf)
	r.written.Add(int64(n))
	if err != nil {
		return &PermanentError{fmt.Errorf("recording %s: %w", r.Path, err)}
	}
	return nil
}

// Close implements Sink: it syncs and closes the file.
func (r *Recorder) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Sync()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	if err != nil {
		return fmt.Errorf("recording %s: %w", r.Path, err)
	}
	return nil
}

// BytesWritten implements Sink.
func (r *Recorder) BytesWritten() int64 { return r.written.Load() }
