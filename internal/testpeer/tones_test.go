package testpeer

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestToneLevels(t *testing.T) {
	const n = toneSampleRate
	raw := make([]byte, n*2*4)
	for i := 0; i < n; i++ {
		ts := float64(i) / toneSampleRate
		l := 0.25*math.Sin(2*math.Pi*400*ts) + 0.25*math.Sin(2*math.Pi*800*ts) // −12 dBFS each
		r := 0.25*math.Sin(2*math.Pi*400*ts) + 0.0025*math.Sin(2*math.Pi*1000*ts)
		binary.LittleEndian.PutUint32(raw[i*8:], math.Float32bits(float32(l)))
		binary.LittleEndian.PutUint32(raw[i*8+4:], math.Float32bits(float32(r)))
	}
	got := toneLevels(raw, 2, n, []float64{400, 600, 800, 1000})
	require.InDelta(t, -12.04, got[0], 0.05, "on both channels")
	require.Less(t, got[1], -100.0, "absent")
	require.InDelta(t, -12.04-6.02, got[2], 0.05, "on one channel of two")
	require.InDelta(t, -52.04-6.02, got[3], 0.1, "a faint tone on one channel")
}
