package beauty

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDownsample: the word-at-a-time 2×2 mean equals the plain one for
// every width's tail and any bytes (255s included: no lane overflows).
func TestDownsample(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for w := 1; w <= 40; w++ {
		r0, r1 := make([]uint8, w), make([]uint8, w)
		for trial := range 50 {
			for i := range w {
				r0[i], r1[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
				if trial == 0 {
					r0[i], r1[i] = 255, 255
				}
			}
			got := make([]uint8, (w+1)/2)
			downsample(r0, r1, got)
			for i := range got {
				x1 := min(2*i+1, w-1)
				s := int(r0[2*i]) + int(r0[x1]) + int(r1[2*i]) + int(r1[x1])
				want := uint8((s + 2) >> 2)
				if 2*i+1 >= w {
					want = uint8((int(r0[2*i]) + int(r1[2*i]) + 1) >> 1)
				}
				require.Equal(t, want, got[i], "width %d sample %d", w, i)
			}
		}
	}
}
