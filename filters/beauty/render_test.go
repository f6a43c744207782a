package beauty

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRenderPNGs writes before/after PNGs (and the skin weight as grey)
// for a person to look at, with the ffmpeg CLI:
//
//	BEAUTY_PNG_DIR=/tmp/beauty go test ./filters/beauty/ -run RenderPNGs -v
//
// renders the synthetic portrait; BEAUTY_IMAGE=face.jpg adds any picture
// ffmpeg can read, and BEAUTY_STRENGTH / BEAUTY_BRIGHTEN set the stage
// (default 1 and 0). Skipped unless BEAUTY_PNG_DIR is set: it is a tool
// for tuning, the assertions are in TestPortrait.
func TestRenderPNGs(t *testing.T) {
	dir := os.Getenv("BEAUTY_PNG_DIR")
	if dir == "" {
		t.Skip("BEAUTY_PNG_DIR not set")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	cfg := Config{Strength: envFloat(t, "BEAUTY_STRENGTH", 1), Brighten: envFloat(t, "BEAUTY_BRIGHTEN", 0)}

	pics := map[string]*picture{"portrait": newPortrait(640, 360, 0, 1).picture}
	if img := os.Getenv("BEAUTY_IMAGE"); img != "" {
		pics[strings.TrimSuffix(filepath.Base(img), filepath.Ext(img))] = readImage(t, img)
	}
	for name, p := range pics {
		writePNG(t, filepath.Join(dir, name+"-before.png"), p)
		b := newStage(t, p.w, p.h, cfg)
		process(t, b, p)
		writePNG(t, filepath.Join(dir, name+"-after.png"), p)
		writeGrey(t, filepath.Join(dir, name+"-skin.png"), b.skin, b.cw, b.ch)
		t.Logf("%s: %dx%d written to %s", name, p.w, p.h, dir)
	}
}

func envFloat(t *testing.T, key string, def float64) float64 {
	s := os.Getenv(key)
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, key)
	return v
}

// readImage decodes any picture to yuv420p with ffmpeg.
func readImage(t *testing.T, path string) *picture {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height", "-of", "csv=p=0", path).Output()
	require.NoError(t, err)
	var w, h int
	_, err = fmt.Sscanf(strings.TrimSpace(string(out)), "%d,%d", &w, &h)
	require.NoError(t, err)
	raw, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-").Output()
	require.NoError(t, err)
	p := newPicture(w, h, 0)
	require.Len(t, raw, len(p.y)+len(p.u)+len(p.v))
	copy(p.y, raw)
	copy(p.u, raw[len(p.y):])
	copy(p.v, raw[len(p.y)+len(p.u):])
	return p
}

func writePNG(t *testing.T, path string, p *picture) {
	var raw bytes.Buffer
	for y := range p.h {
		raw.Write(p.y[y*p.ys:][:p.w])
	}
	for _, c := range [][]byte{p.u, p.v} {
		for y := range p.ch {
			raw.Write(c[y*p.cs:][:p.cw])
		}
	}
	ffmpegPNG(t, path, "yuv420p", p.w, p.h, raw.Bytes())
}

func writeGrey(t *testing.T, path string, g []byte, w, h int) {
	ffmpegPNG(t, path, "gray", w, h, g)
}

func ffmpegPNG(t *testing.T, path, pixFmt string, w, h int, raw []byte) {
	cmd := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", pixFmt,
		"-s", fmt.Sprintf("%dx%d", w, h), "-i", "-", "-frames:v", "1", "-pix_fmt", "rgb24", path)
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}
