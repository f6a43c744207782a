package composite

import (
	"fmt"

	"github.com/asticode/go-astiav"

	"studio/internal/av"
)

// ParseColor reads a background colour as FFmpeg's filters write colours
// (av.ParseColor: "black", "#1e1e2e", "0x1e1e2e", …) and returns its Y, U,
// V (av.RGBToYUV: BT.601, limited range, as the watermark converts
// colours). A background
// cannot be see-through, so an alpha below 1 is an error.
func ParseColor(s string) ([3]uint8, error) {
	rgba, err := av.ParseColor(s)
	if err != nil {
		return [3]uint8{}, fmt.Errorf("composite: background %w", err)
	}
	if rgba[3] != 255 {
		return [3]uint8{}, fmt.Errorf("composite: background color %q: must be opaque (nothing is behind it)", s)
	}
	y, u, v := av.RGBToYUV(int(rgba[0]), int(rgba[1]), int(rgba[2]))
	return [3]uint8{uint8(y), uint8(u), uint8(v)}, nil
}

// loadBackground decodes the picture at path and makes of it the canvas
// background: converted to YUV with its alpha (if any) flattened onto the
// background colour, then scaled to cover the canvas as a FitCover layer
// would be.
func (c *Compositor) loadBackground(path string) (*astiav.Frame, error) {
	pic, err := av.DecodePicture(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a picture FFmpeg can decode (%w)", path, err)
	}
	defer pic.Free()
	flat, err := c.flatten(pic)
	if err != nil {
		return nil, fmt.Errorf("%s: convert: %w", path, err)
	}
	defer flat.Free()

	out, err := yuvFrame(c.w, c.h, astiav.PixelFormatYuv420P)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l := &layerState{}
	defer l.free()
	cover := Layer{Rect: Rect{0, 0, c.w, c.h}, Fit: FitCover, Opacity: 1}
	if err = c.plan(l, &cover, flat); err == nil {
		err = c.draw(out, l)
	}
	if err != nil {
		out.Free()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// flatten converts pic, in whatever format it was decoded, to yuv420p of
// the same size, its alpha blended onto the background colour:
// out = (p·a + bg·(255−a) + 127) / 255, where chroma takes the mean alpha
// of its 2×2 luma block.
func (c *Compositor) flatten(pic *astiav.Frame) (*astiav.Frame, error) {
	w, h := pic.Width(), pic.Height()
	ssc, err := astiav.CreateSoftwareScaleContext(w, h, pic.PixelFormat(), w, h, astiav.PixelFormatYuva420P, c.flags)
	if err != nil {
		return nil, fmt.Errorf("%s to yuva420p: %w", pic.PixelFormat(), err)
	}
	defer ssc.Free()
	yuva, err := yuvFrame(w, h, astiav.PixelFormatYuva420P)
	if err != nil {
		return nil, err
	}
	defer yuva.Free()
	if err := ssc.ScaleFrame(pic, yuva); err != nil {
		return nil, fmt.Errorf("%s to yuva420p: %w", pic.PixelFormat(), err)
	}
	out, err := yuvFrame(w, h, astiav.PixelFormatYuv420P)
	if err != nil {
		return nil, err
	}
	pa, as := av.Plane(yuva, 3)
	over := func(p, a, bg int) byte { return byte((p*a + bg*(255-a) + 127) / 255) }
	py, ys := av.Plane(yuva, 0)
	oy, oys := av.Plane(out, 0)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			oy[y*oys+x] = over(int(py[y*ys+x]), int(pa[y*as+x]), int(c.bg[0]))
		}
	}
	for i := 1; i <= 2; i++ {
		p, ps := av.Plane(yuva, i)
		o, os := av.Plane(out, i)
		for cy := 0; cy < (h+1)/2; cy++ {
			for cx := 0; cx < (w+1)/2; cx++ {
				sum, n := 0, 0
				for y := 2 * cy; y < min(2*cy+2, h); y++ {
					for x := 2 * cx; x < min(2*cx+2, w); x++ {
						sum += int(pa[y*as+x])
						n++
					}
				}
				a := (sum + n/2) / n
				o[cy*os+cx] = over(int(p[cy*ps+cx]), a, int(c.bg[i]))
			}
		}
	}
	return out, nil
}
