package output

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"studio/pipeline/media"
)

// memSink keeps what an output writes, for tests without a server. Its
// writes can be held up (gate) to play a slow link.
type memSink struct {
	mu    sync.Mutex
	times []time.Duration // DTS of the packets written, after the shift
	shift time.Duration
	gate  chan struct{} // nil: writes go straight through
	bytes atomic.Int64
}

func (s *memSink) Open(context.Context, media.StreamHeader) error { return nil }

func (s *memSink) Write(p *media.Packet) error {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.times = append(s.times, p.DTS-s.shift)
	s.bytes.Add(int64(len(p.Data)))
	return nil
}

func (s *memSink) Close() error             { return nil }
func (s *memSink) BytesWritten() int64      { return s.bytes.Load() }
func (s *memSink) setShift(d time.Duration) { s.shift = d }

func (s *memSink) written() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.times...)
}

// discardSink takes packets without keeping them or allocating.
type discardSink struct{ n atomic.Int64 }

func (s *discardSink) Open(context.Context, media.StreamHeader) error { return nil }
func (s *discardSink) Write(p *media.Packet) error {
	s.n.Add(int64(len(p.Data)))
	return nil
}
func (s *discardSink) Close() error        { return nil }
func (s *discardSink) BytesWritten() int64 { return s.n.Load() }
