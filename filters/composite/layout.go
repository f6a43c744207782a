package composite

import (
	"fmt"
	"strings"
)

// Layouts are the names Layout knows, in the order a console offers them.
var Layouts = []string{"full", "pip", "side-by-side", "grid", "host+3"}

// Layout returns the rects of the template name for n sources on a w × h
// canvas, source i in rect i. All divisions are integer divisions
// (rounding down). The templates:
//
//   - "full" (n ≥ 1): one rect, the whole canvas [0, 0, w, h]; only the
//     first source is shown, whatever n.
//   - "pip" (n = 1..2): source 0 on the whole canvas; source 1 in an
//     inset of iw × ih = w/4 × h/4, each rounded down to even, in the
//     bottom-right corner m = h/24 (rounded down to even) from the right
//     and bottom edges: [w−iw−m, h−ih−m, iw, ih].
//   - "side-by-side" (n = 1..2): the left half [0, 0, w/2, h] and the
//     right half [w/2, 0, w−w/2, h].
//   - "grid" (n = 1..9): 2 × 2 cells for n ≤ 4, 3 × 3 for 5 ≤ n ≤ 9, with
//     boundaries x_k = k·w/cols and y_k = k·h/rows; cell i (reading order:
//     left to right, then down) is [x_c, y_r, x_(c+1)−x_c, y_(r+1)−y_r]
//     with c = i mod cols, r = i / cols. n rects.
//   - "host+3" (n = 1..4): source 0 (the host) on the whole canvas; up to
//     three guests in 3:4 portrait tiles th = h/4 high and tw = th·3/4
//     wide at the right edge (x = w − tw), stacked bottom-up above a
//     bottom margin of h/8 with 1-pixel gaps: guest tile i (i = 1..3) is
//     [w−tw, h − h/8 − i·th − (i−1), tw, th]. On 360 × 640 the tiles are
//     120 × 160 at y = 400, 239, 78 (the usual co-streaming layout); on
//     1280 × 720 they are 135 × 180 at x = 1145, y = 450, 269, 88.
//
// Fewer sources than a template holds give fewer rects (except "full",
// always one); more are an error, as are an unknown name, n < 1 and a
// canvas with no area.
func Layout(name string, w, h, n int) ([]Rect, error) {
	capacity := map[string]int{"full": 1 << 30, "pip": 2, "side-by-side": 2, "grid": 9, "host+3": 4}
	most, ok := capacity[name]
	switch {
	case !ok:
		return nil, fmt.Errorf("composite: layout %q: unknown (known: %s)", name, strings.Join(Layouts, ", "))
	case w <= 0 || h <= 0:
		return nil, fmt.Errorf("composite: layout %q: canvas %dx%d has no area", name, w, h)
	case n < 1:
		return nil, fmt.Errorf("composite: layout %q: %d sources: needs at least 1", name, n)
	case n > most:
		return nil, fmt.Errorf("composite: layout %q: %d sources: it holds at most %d", name, n, most)
	}
	full := Rect{0, 0, w, h}
	switch name {
	case "full":
		return []Rect{full}, nil
	case "pip":
		rects := []Rect{full}
		if n == 2 {
			iw, ih, m := w/4&^1, h/4&^1, h/24&^1
			rects = append(rects, Rect{w - iw - m, h - ih - m, iw, ih})
		}
		return rects, nil
	case "side-by-side":
		return []Rect{{0, 0, w / 2, h}, {w / 2, 0, w - w/2, h}}[:n], nil
	case "grid":
		cols := 2
		if n > 4 {
			cols = 3
		}
		rects := make([]Rect, n)
		for i := range rects {
			c, r := i%cols, i/cols
			x0, x1 := c*w/cols, (c+1)*w/cols
			y0, y1 := r*h/cols, (r+1)*h/cols
			rects[i] = Rect{x0, y0, x1 - x0, y1 - y0}
		}
		return rects, nil
	default: // host+3
		th := h / 4
		tw := th * 3 / 4
		rects := []Rect{full}
		for i := 1; i < n; i++ {
			rects = append(rects, Rect{w - tw, h - h/8 - i*th - (i - 1), tw, th})
		}
		return rects, nil
	}
}
