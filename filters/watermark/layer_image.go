package watermark

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"

	"github.com/asticode/go-astiav"

	"studio/filters"
	"studio/internal/av"
)

// loadImage decodes the first picture of path with FFmpeg (PNG, JPEG,
// WebP, GIF, BMP, TIFF, … whatever it decodes), scales it once for a frame
// of width frameW, and fills p with its premultiplied YUVA at opacity o
// (0..255).
//
// Scaling works on premultiplied colour (format=gbrap, premultiply, scale),
// so that the RGB of fully transparent pixels (often black) cannot bleed
// into the edges as a dark fringe; the result is turned back into straight
// colour here. At the native size the picture is not resampled at all and
// its straight RGBA is used as decoded, so a test can predict every value:
// per pixel a = (A·o + 127) / 255 and (Y, U, V) = rgbToYUV(R, G, B).
func loadImage(path string, frameW int, scale float64, o int, p *pixels) error {
	if err := checkFile(path); err != nil {
		return fmt.Errorf("image %s", err)
	}
	src, err := av.DecodePicture(path)
	if err != nil {
		return fmt.Errorf("image %s: not an image FFmpeg can decode (%v)", path, err)
	}
	defer src.Free()

	w, h := src.Width(), src.Height()
	if scale > 0 {
		w = max(1, int(math.Round(scale*float64(frameW))))
		h = max(1, int(math.Round(float64(w)*float64(src.Height())/float64(src.Width()))))
	}
	resampled := w != src.Width() || h != src.Height()
	desc := "format=rgba"
	if resampled {
		// accurate_rnd: without it swscale shifts flat alpha by one (128 → 129).
		desc = "format=gbrap,premultiply=inplace=1,scale=w=" + strconv.Itoa(w) + ":h=" + strconv.Itoa(h) +
			":flags=bicubic+accurate_rnd+full_chroma_int,format=rgba"
	}
	rgba, err := runOnce(desc, src)
	if err != nil {
		return fmt.Errorf("image %s: convert: %w", path, err)
	}
	defer rgba.Free()

	plane, stride := av.PackedPlane(rgba)
	p.resize(w, h)
	for y := 0; y < h; y++ {
		row := plane[y*stride : y*stride+4*w]
		for x := 0; x < w; x++ {
			r, g, b, a := int(row[4*x]), int(row[4*x+1]), int(row[4*x+2]), int(row[4*x+3])
			if resampled {
				r, g, b = unpremultiply(r, a), unpremultiply(g, a), unpremultiply(b, a)
			}
			yy, u, v := rgbToYUV(r, g, b)
			p.set(y*w+x, uint8(fold(a, o)), yy, u, v)
		}
	}
	return nil
}

// unpremultiply turns premultiplied c back into straight colour; c above a
// (bicubic overshoot at sharp alpha edges) is clamped.
func unpremultiply(c, a int) int {
	if a == 0 {
		return 0
	}
	return min(255, (c*255+a/2)/a)
}

// checkFile says, naming the file, why path cannot be read as a file.
func checkFile(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file (check the path; a relative path starts from studio's working directory)", path)
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case st.IsDir():
		return fmt.Errorf("%s: is a directory, not a file", path)
	}
	return nil
}

// runOnce passes one frame through the filter graph desc and returns the
// result (the caller frees it).
func runOnce(desc string, src *astiav.Frame) (*astiav.Frame, error) {
	g, err := filters.NewVideo(desc, src, astiav.NewRational(1, 25))
	if err != nil {
		return nil, err
	}
	defer g.Close()
	out := astiav.AllocFrame()
	ok := false
	defer func() {
		if !ok {
			out.Free()
		}
	}()
	if err := g.Push(src); err != nil {
		return nil, err
	}
	err = g.Pull(out)
	if errors.Is(err, astiav.ErrEagain) {
		if err = g.Push(nil); err != nil {
			return nil, err
		}
		err = g.Pull(out)
	}
	if err != nil {
		return nil, err
	}
	ok = true
	return out, nil
}
