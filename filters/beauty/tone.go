package beauty

import "math"

// toneCurve is Brighten's lift, L(x) = 255·log(1 + (k−1)·x/255) / log k
// with k = 1 + brightenK·Brighten: the log curve beauty cameras use for
// "whitening", which raises mid tones most, leaves black at black and
// white at white, so skin lightens without highlights clipping.
//
// It is applied to the smoothed base of the picture, not pixel by pixel:
// around each sample's local mean μ the curve is replaced by its tangent,
// L(x) ≈ L(μ) + L′(μ)·(x − μ), which is linear and so folds into the α, β
// the smoothing already uses (no extra per-pixel work). Detail on skin is
// scaled by the curve's slope, as a per-pixel curve would scale it.
type toneCurve struct {
	slope [256]int32 // L′(μ), Q12
	icpt  [256]int32 // L(μ) − L′(μ)·μ, the tangent's value at 0, Q12 pixel units
}

const (
	brightenK = 3.0 // Brighten 1 lifts mid grey 128 → 169, skin 170 → 202

	// whiten is how much of skin's colour saturation Brighten 1 takes away
	// (of 256): a paler, less ruddy skin is part of the look; more turns
	// skin grey.
	whiten = 40
)

// build makes the tangents for Brighten v (v = 0: the identity).
func (t *toneCurve) build(v float64) {
	k := 1 + brightenK*v
	for mu := range 256 {
		x := float64(mu)
		l, d := x, 1.0
		if v > 0 {
			lk := math.Log(k)
			l = 255 * math.Log1p((k-1)*x/255) / lk
			d = (k - 1) / (lk * (1 + (k-1)*x/255))
		}
		t.slope[mu] = int32(math.Round(d * 4096))
		t.icpt[mu] = int32(math.Round((l - d*x) * 4096))
	}
}
