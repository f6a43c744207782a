package source

import (
	"github.com/asticode/go-astiav"

	"studio/pipeline/media"
)

// merger hands out queued video and audio frames in presentation order.
// Sources fill vq and aq; merger owns the frame it last returned and
// recycles it on the next call.
type merger struct {
	format  Format
	vq, aq  frameQueue
	current *astiav.Frame
	curQ    *frameQueue
}

// release recycles the frame returned by the previous Read.
func (m *merger) release() {
	if m.current != nil {
		m.curQ.drop(m.current)
		m.current, m.curQ = nil, nil
	}
}

// ready reports whether a frame can be returned: both queues have one, or
// the one that is empty will not get more (done) or the other has backed up.
func (m *merger) ready(videoDone, audioDone bool) bool {
	v, a := m.vq.len(), m.aq.len()
	switch {
	case v > 0 && a > 0:
		return true
	case v > 0:
		return audioDone || v > 32
	case a > 0:
		return videoDone || a > 128
	}
	return false
}

// pop returns the earlier of the two queue heads. Call only when ready.
func (m *merger) pop() Frame {
	takeVideo := m.aq.len() == 0
	if m.vq.len() > 0 && m.aq.len() > 0 {
		vt := m.format.VideoTime(m.vq.head().Pts())
		at := m.format.AudioTime(m.aq.head().Pts())
		takeVideo = vt <= at
	}
	if takeVideo {
		f := m.vq.pop()
		m.current, m.curQ = f, &m.vq
		return Frame{Kind: media.Video, AV: f, PTS: f.Pts(), Time: m.format.VideoTime(f.Pts())}
	}
	f := m.aq.pop()
	m.current, m.curQ = f, &m.aq
	return Frame{Kind: media.Audio, AV: f, PTS: f.Pts(), Time: m.format.AudioTime(f.Pts())}
}

func (m *merger) close() {
	m.release()
	m.vq.close()
	m.aq.close()
}
