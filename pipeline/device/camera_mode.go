package device

import (
	"math"
	"strings"
)

// CameraRequest is what a preset asks for; zero fields mean "don't care".
type CameraRequest struct {
	Width, Height int
	FPS           float64
	PixelFormat   string // FFmpeg name ("mjpeg", "yuyv422") or fourcc ("MJPG", "YUYV"), any case
}

// rateTolerance is how close two frame rates must be to count as the same
// (29.97 reaches 30).
const rateTolerance = 0.005

// ChooseMode picks the mode, and the frame rate within it, to open a camera
// with. In order of importance:
//
//  1. the asked pixel format, when one is asked and the camera offers it
//     (when it does not, the choice is made as if no format was asked);
//  2. the size: the exact size (a zero dimension matches any), else the
//     closest size not smaller than asked, else the largest; with no size
//     asked, the largest;
//  3. the rate: one that reaches the asked rate, else the highest below it,
//     else the closest above it; with no rate asked, the highest;
//  4. without an asked format: raw before MJPEG before other compressed
//     formats. As the rate counts first, raw wins only when it reaches the
//     rate; at 720p30 and above a USB webcam usually offers that only in
//     MJPEG, which is then chosen.
//
// Remaining ties go to the mode listed first. ok is false only when modes
// is empty. fps is 0 when the chosen mode lists no rates.
func ChooseMode(modes []CameraMode, want CameraRequest) (mode CameraMode, fps float64, ok bool) {
	if len(modes) == 0 {
		return CameraMode{}, 0, false
	}
	wantFmt := normalizeFormat(want.PixelFormat)
	if !offersFormat(modes, wantFmt) {
		wantFmt = "" // not offered: choose as if none was asked
	}
	best, bestFPS := -1, 0.0
	var bestKey modeKey
	for i, m := range modes {
		f := pickRate(m.FPS, want.FPS)
		k := rankMode(m, f, want, wantFmt)
		if best < 0 || k.less(bestKey) {
			best, bestFPS, bestKey = i, f, k
		}
	}
	return modes[best], bestFPS, true
}

func offersFormat(modes []CameraMode, f string) bool {
	for _, m := range modes {
		if f == "" || normalizeFormat(m.PixelFormat) == f {
			return true
		}
	}
	return false
}

// modeKey orders candidates; lower is better, field by field.
type modeKey [6]float64

func (a modeKey) less(b modeKey) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func rankMode(m CameraMode, fps float64, want CameraRequest, wantFmt string) modeKey {
	var k modeKey
	if wantFmt != "" && normalizeFormat(m.PixelFormat) != wantFmt {
		k[0] = 1
	}
	k[1], k[2] = sizeRank(m.Width, m.Height, want.Width, want.Height)
	k[3], k[4] = rateRank(fps, want.FPS)
	if wantFmt == "" {
		switch {
		case !m.Compressed:
			k[5] = 0
		case normalizeFormat(m.PixelFormat) == "mjpeg":
			k[5] = 1
		default:
			k[5] = 2
		}
	}
	return k
}

// sizeRank: class 0 exact (or not asked), 1 larger, 2 smaller; then the
// distance within the class (closest larger, largest smaller).
func sizeRank(w, h, wantW, wantH int) (class, dist float64) {
	area := float64(w) * float64(h)
	if wantW <= 0 && wantH <= 0 {
		return 0, -area
	}
	ww, wh := wantW, wantH
	if ww <= 0 {
		ww = w
	}
	if wh <= 0 {
		wh = h
	}
	switch {
	case w == ww && h == wh:
		return 0, -area
	case w >= ww && h >= wh:
		return 1, area - float64(ww)*float64(wh)
	default:
		return 2, -area
	}
}

// rateRank: (0, 0) reaches the asked rate; (0, d) is d below it; (1, d) is
// d above it. Without an asked rate, higher is better.
func rateRank(fps, want float64) (above, dist float64) {
	if want <= 0 {
		return 0, -fps
	}
	switch {
	case sameRate(fps, want):
		return 0, 0
	case fps > want:
		return 1, fps - want
	default:
		return 0, want - fps
	}
}

func sameRate(a, b float64) bool { return math.Abs(a-b) <= b*rateTolerance }

// pickRate picks from rates (highest first) the one closest to want when
// one reaches it, else the highest below it, else the lowest above it;
// without want, the highest. 0 when rates is empty.
func pickRate(rates []float64, want float64) float64 {
	if len(rates) == 0 {
		return 0
	}
	if want <= 0 {
		best := rates[0]
		for _, r := range rates {
			best = max(best, r)
		}
		return best
	}
	best := rates[0]
	for _, r := range rates[1:] {
		if rateRankLess(r, best, want) {
			best = r
		}
	}
	return best
}

func rateRankLess(a, b, want float64) bool {
	aa, ad := rateRank(a, want)
	ba, bd := rateRank(b, want)
	if aa != ba {
		return aa < ba
	}
	if ad == 0 && bd == 0 { // both reach: the closer one
		return math.Abs(a-want) < math.Abs(b-want)
	}
	return ad < bd
}

// formatAliases are names people use for formats besides FFmpeg's and the
// fourccs.
var formatAliases = map[string]string{"yuy2": "yuyv422", "i420": "yuv420p", "jpg": "mjpeg"}

// normalizeFormat maps a fourcc or alias to FFmpeg's name, lower case.
func normalizeFormat(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if n, ok := fourccNames[strings.ToUpper(s + "    ")[:4]]; ok && len(s) <= 4 {
		return n
	}
	l := strings.ToLower(s)
	if n, ok := formatAliases[l]; ok {
		return n
	}
	return l
}
