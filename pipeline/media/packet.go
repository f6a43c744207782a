// Package media holds the small value types that flow between pipeline
// stages: encoded packets (pooled, reference counted so that one encode can
// fan out to many outputs without copying) and the stream header every
// output needs before the first packet.
package media

import (
	"sync"
	"sync/atomic"
	"time"
)

// Kind says whether a packet carries video or audio.
type Kind uint8

// Kinds of media.
const (
	Video Kind = iota + 1
	Audio
)

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case Video:
		return "video"
	case Audio:
		return "audio"
	}
	return "unknown"
}

// Packet is one encoded access unit (H.264 in Annex B, or a raw AAC frame)
// with its program timestamps. Packets come from a pool: the producer gets one
// with NewPacket, calls Retain once per extra holder, and every holder calls
// Release exactly once. The data buffer is reused, so nothing allocates per
// frame in steady state.
type Packet struct {
	Kind Kind
	// PTS and DTS are program time from the start of the run.
	PTS, DTS time.Duration
	// Key marks an H.264 IDR access unit (always true for audio).
	Key  bool
	Data []byte
	// Priority says what a congested output may drop (OBS's NAL
	// priorities): set by NewPacket from the H.264 nal_ref_idc.
	Priority Priority

	refs atomic.Int32
}

// Priority is how much a packet matters to the frames after it, after the
// H.264 nal_ref_idc (x264 marks IDR 3, other references 2, disposable B 0).
type Priority uint8

// Packet priorities, lowest first.
const (
	// PriorityDisposable: nothing refers to it (a non-reference B-frame).
	PriorityDisposable Priority = iota
	// PriorityLow: referenced by a few B-frames only (strict B-pyramid).
	PriorityLow
	// PriorityHigh: a reference picture (P, I or B-pyramid reference).
	PriorityHigh
	// PriorityHighest: a keyframe, audio, or anything a decoder cannot do
	// without.
	PriorityHighest
)

// videoPriority reads the priority of an Annex B access unit from the NAL
// header of its first slice: only the header bytes of the NAL units before
// it are read. An access unit with no slice found counts as a reference, so
// an unknown packet is never thrown away as disposable.
func videoPriority(data []byte, key bool) Priority {
	if key {
		return PriorityHighest
	}
	zeros := 0
	for i := 0; i < len(data)-1; i++ {
		b := data[i]
		if b == 0 {
			zeros++
			continue
		}
		if b == 1 && zeros >= 2 {
			h := data[i+1]
			if t := h & 0x1f; t == 1 || t == 5 { // coded slice
				return min(Priority((h>>5)&3), PriorityHigh)
			}
			// Another NAL unit (SEI, AUD, SPS): skip its header byte and
			// keep looking for the slice.
			i++
		}
		zeros = 0
	}
	return PriorityHigh
}

var packetPool = sync.Pool{New: func() any { return &Packet{Data: make([]byte, 0, 64<<10)} }}

// NewPacket returns a pooled packet holding a copy of data, with one
// reference owned by the caller.
func NewPacket(kind Kind, pts, dts time.Duration, key bool, data []byte) *Packet {
	p := packetPool.Get().(*Packet)
	p.Kind, p.PTS, p.DTS, p.Key = kind, pts, dts, key
	p.Data = append(p.Data[:0], data...)
	p.Priority = PriorityHighest
	if kind == Video {
		p.Priority = videoPriority(data, key)
	}
	p.refs.Store(1)
	return p
}

// Retain adds a holder.
func (p *Packet) Retain() { p.refs.Add(1) }

// Release drops a holder; the last one returns the packet to the pool.
func (p *Packet) Release() {
	switch n := p.refs.Add(-1); {
	case n == 0:
		if cap(p.Data) > 4<<20 { // do not keep huge buffers alive forever
			p.Data = nil
		}
		packetPool.Put(p)
	case n < 0:
		panic("media: packet released more times than retained")
	}
}

// StreamHeader is what an output needs before the first packet: codec
// configuration from the encoders and the numbers that go into onMetaData.
type StreamHeader struct {
	// AVCConfig is the H.264 extradata as the encoder gave it (Annex B or avcC).
	AVCConfig []byte
	// AudioConfig is the AAC AudioSpecificConfig.
	AudioConfig []byte

	Width, Height    int
	FrameRate        float64
	VideoBitrateKbps float64
	AudioBitrateKbps float64
	AudioSampleRate  int
	AudioChannels    int
	Encoder          string
}
