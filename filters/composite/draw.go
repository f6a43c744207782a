package composite

import (
	"github.com/asticode/go-astiav"

	"studio/internal/av"
)

// drawPicture draws the w × h region of src whose top-left luma sample is
// (ox, oy) at (tx, ty) on dst, a cw × ch canvas, clipped to the canvas,
// at blend weight alpha (256: copy). Chroma follows the package rule: the
// canvas chroma samples whose top-left luma sample is drawn, each read
// from src where that luma sample comes from.
func drawPicture(dst *astiav.Frame, cw, ch int, src *astiav.Frame, ox, oy, tx, ty, w, h, alpha int) {
	x0, y0 := max(tx, 0), max(ty, 0)
	x1, y1 := min(tx+w, cw), min(ty+h, ch)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	d, ds := av.Plane(dst, 0)
	s, ss := av.Plane(src, 0)
	drawPlane(d, ds, x0, y0, s, ss, ox+x0-tx, oy+y0-ty, x1-x0, y1-y0, alpha)
	cx0, cy0, cx1, cy1 := (x0+1)>>1, (y0+1)>>1, (x1+1)>>1, (y1+1)>>1
	if cx0 >= cx1 || cy0 >= cy1 {
		return
	}
	scx, scy := (ox+2*cx0-tx)>>1, (oy+2*cy0-ty)>>1
	for i := 1; i <= 2; i++ {
		d, ds := av.Plane(dst, i)
		s, ss := av.Plane(src, i)
		drawPlane(d, ds, cx0, cy0, s, ss, scx, scy, cx1-cx0, cy1-cy0, alpha)
	}
}

// fillRect fills the rect (x, y, w, h) of dst, a cw × ch canvas, clipped,
// with the colour whose rows are rows (one per plane, at least as long as
// the plane is wide), at blend weight alpha.
func fillRect(dst *astiav.Frame, cw, ch int, rows *[3][]byte, x, y, w, h, alpha int) {
	x0, y0 := max(x, 0), max(y, 0)
	x1, y1 := min(x+w, cw), min(y+h, ch)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	d, ds := av.Plane(dst, 0)
	fillPlane(d, ds, x0, y0, rows[0][:x1-x0], y1-y0, alpha)
	cx0, cy0, cx1, cy1 := (x0+1)>>1, (y0+1)>>1, (x1+1)>>1, (y1+1)>>1
	if cx0 >= cx1 || cy0 >= cy1 {
		return
	}
	for i := 1; i <= 2; i++ {
		d, ds := av.Plane(dst, i)
		fillPlane(d, ds, cx0, cy0, rows[i][:cx1-cx0], cy1-cy0, alpha)
	}
}

// drawPlane copies (alpha 256) or blends the w × h block of plane s at
// (sx, sy) onto plane d at (dx, dy).
func drawPlane(d []byte, ds, dx, dy int, s []byte, ss, sx, sy, w, h, alpha int) {
	for r := 0; r < h; r++ {
		drow := d[(dy+r)*ds+dx:][:w]
		srow := s[(sy+r)*ss+sx:][:w]
		if alpha >= 256 {
			copy(drow, srow)
		} else {
			blendRow(drow, drow, srow, alpha)
		}
	}
}

// fillPlane copies (alpha 256) or blends row onto h rows of plane d from
// (dx, dy).
func fillPlane(d []byte, ds, dx, dy int, row []byte, h, alpha int) {
	w := len(row)
	for r := 0; r < h; r++ {
		drow := d[(dy+r)*ds+dx:][:w]
		if alpha >= 256 {
			copy(drow, row)
		} else {
			blendRow(drow, drow, row, alpha)
		}
	}
}
