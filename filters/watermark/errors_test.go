package watermark

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestErrors: what a preset can get wrong is refused by New, naming the
// layer, the file and the fix.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	notImage := filepath.Join(dir, "logo.png")
	require.NoError(t, os.WriteFile(notImage, []byte("this is not a picture\n"), 0o644))
	notFont := filepath.Join(dir, "brand.ttf")
	require.NoError(t, os.WriteFile(notFont, []byte("this is not a font either, but long enough\n"), 0o644))
	truncated := filepath.Join(dir, "cut.ttf")
	dejavu, err := os.ReadFile(DefaultFont)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(truncated, dejavu[:4096], 0o644))
	missing := filepath.Join(dir, "missing.png")
	logo := stripesPNG(t)

	for _, tc := range []struct {
		name  string
		layer Layer
		want  []string // substrings of the error
	}{
		{"missing image", Layer{Image: missing}, []string{"layers[1]", "image " + missing + ": no such file"}},
		{"image is a directory", Layer{Image: dir}, []string{dir + ": is a directory"}},
		{"not an image", Layer{Image: notImage}, []string{"image " + notImage + ": not an image FFmpeg can decode"}},
		{"missing font", Layer{Text: "hi", Font: filepath.Join(dir, "nope.ttf")}, []string{"font " + filepath.Join(dir, "nope.ttf") + ": no such file"}},
		{"not a font", Layer{Text: "hi", Font: notFont}, []string{"font " + notFont + ": not a font file"}},
		{"truncated font", Layer{Clock: "%T", Font: truncated}, []string{"font " + truncated + ": not a font file"}},
		{"bad colour", Layer{Text: "hi", Color: "bleu"}, []string{`color "bleu": not a colour`}},
		{"bad box colour", Layer{Text: "hi", Box: "#12345"}, []string{`box color "#12345"`}},
		{"random colour", Layer{Text: "hi", Color: "random"}, []string{"random colours are not allowed"}},
		{"bad position", Layer{Image: logo, Position: "top"}, []string{`position "top": use top-left`}},
		{"negative margin", Layer{Image: logo, Margin: -1}, []string{"margin -1"}},
		{"no kind", Layer{Opacity: 0.5}, []string{"exactly one of image, text and clock"}},
		{"two kinds", Layer{Image: logo, Text: "hi"}, []string{"exactly one of image, text and clock"}},
		{"opacity above 1", Layer{Image: logo, Opacity: 1.5}, []string{"opacity 1.5: must be in (0, 1]"}},
		{"negative scale", Layer{Image: logo, Scale: -1}, []string{"scale -1"}},
		{"scale on text", Layer{Text: "hi", Scale: 0.5}, []string{"scale is for images"}},
		{"font on image", Layer{Image: logo, Font: DefaultFont}, []string{"are for text and clock layers"}},
		{"unknown conversion", Layer{Clock: "%H:%M:%Q"}, []string{`clock format "%H:%M:%Q": unknown conversion %Q`}},
		{"lone percent", Layer{Clock: "100%"}, []string{"ends with a lone %"}},
		{"unknown zone", Layer{Clock: "%T", Zone: "Mars/Olympus"}, []string{`clock zone "Mars/Olympus"`}},
		{"zone on text", Layer{Text: "hi", Zone: "UTC"}, []string{"zone is for clock layers"}},
		{"size too small", Layer{Text: "hi", Size: 2}, []string{"size 2: must be 4..1000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A good layer first, so that the failing one is number 2 and
			// whatever the first made is freed.
			w, err := New(320, 180, Config{Layers: []Layer{{Clock: "%T"}, tc.layer}})
			require.Error(t, err)
			require.Nil(t, w)
			t.Log(err)
			for _, s := range tc.want {
				require.Contains(t, err.Error(), s)
			}
		})
	}
	_, err = New(0, 180, Config{})
	require.ErrorContains(t, err, "frame size 0x180")
}
