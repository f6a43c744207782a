package presets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Resolution is a frame size in pixels, written "WIDTHxHEIGHT" ("1280x720").
// The zero value means "keep the input's size".
type Resolution struct{ Width, Height int }

// ParseResolution parses "1280x720" (also "1280X720"). "", "0" and "0x0"
// give the zero Resolution. Range and parity are checked by Validate.
func ParseResolution(s string) (Resolution, error) {
	t := strings.TrimSpace(s)
	if t == "" || t == "0" {
		return Resolution{}, nil
	}
	i := strings.IndexAny(t, "xX")
	if i > 0 {
		w, err1 := parseSmallUint(t[:i])
		h, err2 := parseSmallUint(t[i+1:])
		if err1 == nil && err2 == nil {
			return Resolution{Width: w, Height: h}, nil
		}
	}
	return Resolution{}, fmt.Errorf("%s is not a resolution (e.g. 1280x720)", quote(s))
}

// String returns "WIDTHxHEIGHT" ("0x0" for the zero value).
func (r Resolution) String() string { return fmt.Sprintf("%dx%d", r.Width, r.Height) }

// IsZero reports whether r is the zero value (keep the input's size).
func (r Resolution) IsZero() bool { return r.Width == 0 && r.Height == 0 }

// UnmarshalYAML implements yaml.Unmarshaler for a scalar "WxH".
func (r *Resolution) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a resolution (e.g. 1280x720)")
	if err != nil {
		return err
	}
	v, err := ParseResolution(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML implements yaml.Marshaler; it writes String().
func (r Resolution) MarshalYAML() (any, error) { return r.String(), nil }

// Region is a rectangle of the screen, written "x,y,w,h" in pixels
// ("0,0,1280,720"). The zero value means the whole screen.
type Region struct{ X, Y, W, H int }

// ParseRegion parses "x,y,w,h"; "" gives the zero Region.
func ParseRegion(s string) (Region, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Region{}, nil
	}
	parts := strings.Split(t, ",")
	if len(parts) == 4 {
		var v [4]int
		ok := true
		for i, p := range parts {
			n, err := parseSmallUint(strings.TrimSpace(p))
			v[i], ok = n, ok && err == nil
		}
		if ok && v[2] > 0 && v[3] > 0 {
			return Region{X: v[0], Y: v[1], W: v[2], H: v[3]}, nil
		}
	}
	return Region{}, fmt.Errorf("%s is not a region (x,y,w,h in pixels, e.g. 0,0,1280,720)", quote(s))
}

// IsZero reports whether r is the whole screen.
func (r Region) IsZero() bool { return r == Region{} }

// String returns "x,y,w,h" ("" for the whole screen).
func (r Region) String() string {
	if r.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d,%d,%d,%d", r.X, r.Y, r.W, r.H)
}

// UnmarshalYAML implements yaml.Unmarshaler for a scalar "x,y,w,h".
func (r *Region) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a region (x,y,w,h)")
	if err != nil {
		return err
	}
	v, err := ParseRegion(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML implements yaml.Marshaler; it writes String().
func (r Region) MarshalYAML() (any, error) { return r.String(), nil }

// FrameRate is a rational frame rate Num/Den frames per second, written
// "30", "29.97" or "30000/1001". The zero value means "keep the input's rate".
type FrameRate struct{ Num, Den int }

// ntscRates maps thousandths of a frame per second to the exact NTSC rate.
var ntscRates = map[int]FrameRate{
	23976:  {24000, 1001},
	29970:  {30000, 1001},
	47952:  {48000, 1001},
	59940:  {60000, 1001},
	119880: {120000, 1001},
}

// ParseFrameRate parses "30", "29.97" (30000/1001; also 23.976, 47.952,
// 59.94, 119.88), other decimals (to thousandths, reduced: "12.5" = 25/2)
// and "NUM/DEN". "" and "0" give the zero FrameRate.
func ParseFrameRate(s string) (FrameRate, error) {
	bad := fmt.Errorf("%s is not a frame rate (e.g. 30 or 29.97)", quote(s))
	t := strings.TrimSpace(s)
	if t == "" {
		return FrameRate{}, nil
	}
	if i := strings.IndexByte(t, '/'); i >= 0 {
		n, err1 := parseSmallUint(t[:i])
		d, err2 := parseSmallUint(t[i+1:])
		if err1 != nil || err2 != nil || d == 0 {
			return FrameRate{}, bad
		}
		return reduceRate(n, d), nil
	}
	if !isDecimal(t) {
		return FrameRate{}, bad
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f > 1e6 {
		return FrameRate{}, bad
	}
	milli := int(math.Round(f * 1000))
	if r, ok := ntscRates[milli]; ok {
		return r, nil
	}
	return reduceRate(milli, 1000), nil
}

func reduceRate(n, d int) FrameRate {
	if n == 0 {
		return FrameRate{}
	}
	g := gcd(n, d)
	return FrameRate{Num: n / g, Den: d / g}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Float returns the rate in frames per second (0 for the zero value).
func (f FrameRate) Float() float64 {
	if f.Den == 0 {
		return 0
	}
	return float64(f.Num) / float64(f.Den)
}

// String returns the shortest form that parses back to f: "30", "29.97",
// "12.5" or "NUM/DEN" ("0" for the zero value).
func (f FrameRate) String() string {
	switch {
	case f.IsZero():
		return "0"
	case f.Den == 1:
		return strconv.Itoa(f.Num)
	case f.Den == 1001:
		for milli, r := range ntscRates {
			if r == f {
				return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64)
			}
		}
	case f.Den > 0 && 1000%f.Den == 0:
		return strconv.FormatFloat(float64(f.Num*(1000/f.Den))/1000, 'f', -1, 64)
	}
	return fmt.Sprintf("%d/%d", f.Num, f.Den)
}

// IsZero reports whether f is the zero value (keep the input's rate).
func (f FrameRate) IsZero() bool { return f.Num == 0 }

// UnmarshalYAML implements yaml.Unmarshaler for a scalar rate.
func (f *FrameRate) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a frame rate (e.g. 30 or 29.97)")
	if err != nil {
		return err
	}
	v, err := ParseFrameRate(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// MarshalYAML implements yaml.Marshaler; it writes String().
func (f FrameRate) MarshalYAML() (any, error) { return f.String(), nil }

// Bitrate is a bit rate in bits per second, written "2500k", "4.5M" or
// "3000000" (k = 1000, M = 1000000; the suffix is case-insensitive).
type Bitrate int64

// ParseBitrate parses a bit rate. A leading "-" is accepted so that
// Validate can report "must be > 0".
func ParseBitrate(s string) (Bitrate, error) {
	v, ok := parseScaled(s, "kM", 1e15)
	if !ok {
		return 0, fmt.Errorf("%s is not a bitrate (e.g. 2500k or 4.5M)", quote(s))
	}
	return Bitrate(v), nil
}

// parseScaled parses a decimal number with an optional suffix among units
// ("k" 1e3, "M" 1e6, "G" 1e9, either case) and an optional leading "-",
// rounded to a whole number no larger than limit in size.
func parseScaled(s, units string, limit float64) (int64, bool) {
	t := strings.TrimSpace(s)
	mult := 1.0
	if t != "" {
		last := t[len(t)-1]
		for _, u := range []struct {
			c    byte
			mult float64
		}{{'k', 1e3}, {'m', 1e6}, {'g', 1e9}} {
			if (last|0x20) == u.c && strings.ContainsAny(units, string([]byte{u.c, u.c &^ 0x20})) {
				mult, t = u.mult, t[:len(t)-1]
				break
			}
		}
	}
	neg := strings.HasPrefix(t, "-")
	if neg {
		t = t[1:]
	}
	if !isDecimal(t) {
		return 0, false
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f*mult > limit {
		return 0, false
	}
	v := int64(math.Round(f * mult))
	if neg {
		v = -v
	}
	return v, true
}

// String returns "2500k" for whole kilobits, else the plain number.
func (b Bitrate) String() string {
	if b != 0 && b%1000 == 0 {
		return strconv.FormatInt(int64(b/1000), 10) + "k"
	}
	return strconv.FormatInt(int64(b), 10)
}

// Kbps returns the rate in kilobits per second.
func (b Bitrate) Kbps() float64 { return float64(b) / 1000 }

// UnmarshalYAML implements yaml.Unmarshaler for a scalar bit rate.
func (b *Bitrate) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a bitrate (e.g. 2500k or 4.5M)")
	if err != nil {
		return err
	}
	v, err := ParseBitrate(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler; it writes String().
func (b Bitrate) MarshalYAML() (any, error) { return b.String(), nil }

// scalarText returns the text of a scalar node ("" for null), or an error
// naming what was expected.
func scalarText(n *yaml.Node, want string) (string, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("expected %s, got %s", want, kindName(n))
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

// parseSmallUint parses 1..7 decimal digits.
func parseSmallUint(s string) (int, error) {
	if s == "" || len(s) > 7 {
		return 0, fmt.Errorf("bad number")
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad number")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// isDecimal reports whether s is digits with at most one '.' and at least
// one digit.
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1 && len(s) <= 32
}

// quote quotes a user value for a message, shortened to 40 bytes.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a value"
	}
	return "nothing"
}

// ByteSize is a size in bytes, written "500M", "2G", "1500k" (decimal
// units, as disks are sold) or a plain number.
type ByteSize int64

// ParseByteSize parses a size; a leading "-" is accepted so that Validate
// can report it.
func ParseByteSize(s string) (ByteSize, error) {
	v, ok := parseScaled(s, "kMG", 1e18)
	if !ok {
		return 0, fmt.Errorf("%s is not a size (e.g. 500M or 2G)", quote(s))
	}
	return ByteSize(v), nil
}

// String returns the size with the largest whole decimal unit: "500M".
func (b ByteSize) String() string {
	for _, u := range []struct {
		n ByteSize
		s string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if b != 0 && b%u.n == 0 {
			return strconv.FormatInt(int64(b/u.n), 10) + u.s
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// UnmarshalYAML implements yaml.Unmarshaler for a scalar size.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a size (e.g. 500M or 2G)")
	if err != nil {
		return err
	}
	v, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler; it writes String().
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// Duration is a length of time, written as Go does: "90s", "30m", "1h30m".
type Duration time.Duration

// ParseDuration parses a duration; a bare number is refused, since seconds
// and minutes are both plausible.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" || t == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration (e.g. 90s, 30m or 1h)", quote(s))
	}
	return Duration(d), nil
}

// String is Go's form of the duration ("30m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML implements yaml.Unmarshaler for a scalar duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a duration (e.g. 30m)")
	if err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler; it writes String().
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
