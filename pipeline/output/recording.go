package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"studio/pipeline/encode"
	"studio/pipeline/media"
	"studio/presets"
)

// RecordOptions say how a local recording is written.
type RecordOptions struct {
	// Format is presets.FormatFLV or presets.FormatMKV; "" picks MKV for a .mkv path and
	// FLV otherwise.
	Format string
	// SplitSize starts a new file at the first video keyframe once the
	// current one holds this many bytes; 0: no limit.
	SplitSize int64
	// SplitTime starts a new file at the first video keyframe once the
	// current one holds this much media time; 0: no limit.
	SplitTime time.Duration
}

func (o RecordOptions) split() bool { return o.SplitSize > 0 || o.SplitTime > 0 }

// PartPath is the name of part n (from 1) of a split recording of path:
// "show.flv" gives "show-001.flv", "show-002.flv", …
func PartPath(path string, n int) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%03d%s", strings.TrimSuffix(path, ext), n, ext)
}

// partSink is one file of a recording: the FLV Recorder or the MKVRecorder.
type partSink interface {
	Sink
	shifter
}

// Recording is the local recording of the program: one file at its path,
// or, with a split size or time, a series of files PartPath(path, 1),
// PartPath(path, 2), … Each part is a file of its own: its own headers, its
// first picture a keyframe at encode.StartOffset, like a recording made
// from the start of the program.
//
// At a split, the keyframe and the video after it go to the new part; audio
// goes where its time belongs: the old part's last picture is shown until
// the keyframe's presentation time, so audio before that time (packets that
// come after the keyframe in decode order when there are B-frames) still
// goes to the old part, which stays open until the first audio packet at or
// past that time. Nothing is lost or written twice.
//
// A Recording opens its first file once: a second Open fails rather than
// truncate what was recorded.
type Recording struct {
	path   string
	opt    RecordOptions
	format string
	header media.StreamHeader
	opened bool

	cur, prev partSink
	parts     atomic.Int32
	// partStart is the program time (PTS) of the current part's first
	// picture; started says there was one.
	partStart time.Duration
	started   bool
	// cut is the presentation time of the keyframe that started the
	// current part: audio before it belongs to prev.
	cut time.Duration

	closedBytes int64 // writer goroutine only
	bytes       atomic.Int64
	curPath     atomic.Pointer[string]
}

// NewRecording makes the recording sink for path; nothing is created
// before Open.
func NewRecording(path string, opt RecordOptions) *Recording {
	r := &Recording{path: path, opt: opt, format: opt.Format}
	if r.format == "" {
		r.format = presets.FormatFLV
		if strings.EqualFold(filepath.Ext(path), ".mkv") {
			r.format = presets.FormatMKV
		}
	}
	first := path
	if opt.split() {
		first = PartPath(path, 1)
	}
	r.curPath.Store(&first)
	return r
}

var _ Sink = (*Recording)(nil)
var _ shifter = (*Recording)(nil)

// Path is the file being written now (before Open, the first one).
func (r *Recording) Path() string { return *r.curPath.Load() }

// Parts is how many files were started.
func (r *Recording) Parts() int { return int(r.parts.Load()) }

// Open implements Sink: it creates the first file.
func (r *Recording) Open(_ context.Context, h media.StreamHeader) error {
	if r.opened {
		return &PermanentError{fmt.Errorf("recording %s: not reopened (that would truncate it)", r.Path())}
	}
	if r.format != presets.FormatFLV && r.format != presets.FormatMKV {
		return &PermanentError{fmt.Errorf("recording %s: unknown format %q (use flv or mkv)", r.path, r.format)}
	}
	r.opened = true
	h.AVCConfig = bytes.Clone(h.AVCConfig)
	h.AudioConfig = bytes.Clone(h.AudioConfig)
	r.header = h
	cur, err := r.openPart(r.Path())
	if err != nil {
		return err
	}
	r.cur = cur
	r.count()
	return nil
}

func (r *Recording) openPart(path string) (partSink, error) {
	var s partSink = &Recorder{Path: path}
	if r.format == presets.FormatMKV {
		s = &MKVRecorder{Path: path}
	}
	if err := s.Open(context.Background(), r.header); err != nil {
		_ = s.Close()
		return nil, err
	}
	r.parts.Add(1)
	r.curPath.Store(&path)
	return s, nil
}

// setShift moves the first part's timestamps (an output that joins a
// running program, see Output.JoinAt); later parts set their own.
func (r *Recording) setShift(d time.Duration) {
	if r.cur != nil && r.Parts() == 1 {
		r.cur.setShift(d)
	}
}

// Write implements Sink.
func (r *Recording) Write(p *media.Packet) error {
	if r.cur == nil {
		return &PermanentError{fmt.Errorf("recording %s: not open", r.Path())}
	}
	defer r.count()
	if r.prev != nil {
		if p.Kind == media.Audio && p.PTS < r.cut {
			return r.prev.Write(p)
		}
		// Audio has reached the cut (or, without audio, video is well
		// past it): the old part is complete.
		if p.Kind == media.Audio || p.DTS >= r.cut+time.Second {
			if err := r.closePrev(); err != nil {
				return err
			}
		}
	}
	if p.Kind == media.Video && p.Key {
		if !r.started {
			r.started, r.partStart = true, p.PTS
		} else if r.splitDue(p) {
			if err := r.startPart(p); err != nil {
				return err
			}
		}
	}
	return r.cur.Write(p)
}

// splitDue says whether keyframe p starts a new part.
func (r *Recording) splitDue(p *media.Packet) bool {
	return r.opt.SplitSize > 0 && r.cur.BytesWritten() >= r.opt.SplitSize ||
		r.opt.SplitTime > 0 && p.PTS-r.partStart >= r.opt.SplitTime
}

// startPart opens the next part at keyframe key; the current one stays
// open for the audio before key's presentation time.
func (r *Recording) startPart(key *media.Packet) error {
	if r.prev != nil {
		if err := r.closePrev(); err != nil {
			return err
		}
	}
	next, err := r.openPart(PartPath(r.path, r.Parts()+1))
	if err != nil {
		return err
	}
	next.setShift(key.PTS - encode.StartOffset)
	r.prev, r.cur = r.cur, next
	r.cut, r.partStart = key.PTS, key.PTS
	return nil
}

// closePrev finishes the part before a split. A failure there is final:
// the recording is never reopened, so it must not look retryable.
func (r *Recording) closePrev() error {
	err := r.prev.Close()
	r.closedBytes += r.prev.BytesWritten()
	r.prev = nil
	if err != nil {
		return &PermanentError{err}
	}
	return nil
}

// count updates the byte total that BytesWritten reports.
func (r *Recording) count() {
	n := r.closedBytes
	if r.prev != nil {
		n += r.prev.BytesWritten()
	}
	if r.cur != nil {
		n += r.cur.BytesWritten()
	}
	r.bytes.Store(n)
}

// Close implements Sink: it closes the open part(s).
func (r *Recording) Close() error {
	var errs []error
	if r.prev != nil {
		errs = append(errs, r.closePrev())
	}
	if r.cur != nil {
		errs = append(errs, r.cur.Close())
		r.closedBytes += r.cur.BytesWritten()
		r.cur = nil
	}
	r.bytes.Store(r.closedBytes)
	return errors.Join(errs...)
}

// BytesWritten implements Sink: bytes in all parts together.
func (r *Recording) BytesWritten() int64 { return r.bytes.Load() }
