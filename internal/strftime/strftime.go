// Package strftime is C's strftime in Go, C/POSIX locale, appending to a
// reused buffer: a watermark clock formats once a second on the program
// goroutine, so it must not allocate, and it must follow the Go time it is
// given (epoch + program time in the layer's zone), not the C library's
// idea of "now" or of the zone. Pure Go, so that presets can check a clock
// format where they check everything else.
package strftime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var (
	weekdays = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = [12]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

// Conversions lists the conversions Append knows.
const Conversions = "aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ%"

// Check rejects what Append cannot format, so that a preset with a typo
// fails at load, not with odd text on air.
func Check(format string) error {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i == len(format) {
			return fmt.Errorf("clock format %q: ends with a lone %%", format)
		}
		if strings.IndexByte(Conversions, format[i]) < 0 {
			return fmt.Errorf("clock format %q: unknown conversion %%%c (known: %%%s)", format, format[i], joinConversions())
		}
	}
	return nil
}

func joinConversions() string {
	b := make([]byte, 0, 3*len(Conversions))
	for i := 0; i < len(Conversions); i++ {
		if i > 0 {
			b = append(b, " %"...)
		}
		b = append(b, Conversions[i])
	}
	return string(b)
}

// Append appends t formatted by format (checked by Check;
// an unknown conversion is copied through) to b.
func Append(b []byte, format string, t time.Time) []byte {
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	wday := int(t.Weekday())
	yday := t.YearDay() - 1
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		switch format[i] {
		case 'a':
			b = append(b, weekdays[wday][:3]...)
		case 'A':
			b = append(b, weekdays[wday]...)
		case 'b', 'h':
			b = append(b, months[month-1][:3]...)
		case 'B':
			b = append(b, months[month-1]...)
		case 'c': // %a %b %e %H:%M:%S %Y
			b = append(b, weekdays[wday][:3]...)
			b = append(b, ' ')
			b = append(b, months[month-1][:3]...)
			b = append(b, ' ')
			b = pad2(b, day, ' ')
			b = append(b, ' ')
			b = hms(b, hour, min, sec)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(year), 10)
		case 'C':
			b = pad2(b, year/100, '0')
		case 'd':
			b = pad2(b, day, '0')
		case 'D', 'x': // %m/%d/%y
			b = pad2(b, int(month), '0')
			b = append(b, '/')
			b = pad2(b, day, '0')
			b = append(b, '/')
			b = pad2(b, year%100, '0')
		case 'e':
			b = pad2(b, day, ' ')
		case 'F':
			b = strconv.AppendInt(b, int64(year), 10)
			b = append(b, '-')
			b = pad2(b, int(month), '0')
			b = append(b, '-')
			b = pad2(b, day, '0')
		case 'g':
			y, _ := t.ISOWeek()
			b = pad2(b, y%100, '0')
		case 'G':
			y, _ := t.ISOWeek()
			b = strconv.AppendInt(b, int64(y), 10)
		case 'H':
			b = pad2(b, hour, '0')
		case 'I':
			b = pad2(b, hour12(hour), '0')
		case 'j':
			if yday+1 < 100 {
				b = append(b, '0')
			}
			b = pad2(b, yday+1, '0')
		case 'k':
			b = pad2(b, hour, ' ')
		case 'l':
			b = pad2(b, hour12(hour), ' ')
		case 'm':
			b = pad2(b, int(month), '0')
		case 'M':
			b = pad2(b, min, '0')
		case 'n':
			b = append(b, '\n')
		case 'p':
			b = append(b, ampm(hour, "AM", "PM")...)
		case 'P':
			b = append(b, ampm(hour, "am", "pm")...)
		case 'r': // %I:%M:%S %p
			b = hms(b, hour12(hour), min, sec)
			b = append(b, ' ')
			b = append(b, ampm(hour, "AM", "PM")...)
		case 'R':
			b = pad2(b, hour, '0')
			b = append(b, ':')
			b = pad2(b, min, '0')
		case 's':
			b = strconv.AppendInt(b, t.Unix(), 10)
		case 'S':
			b = pad2(b, sec, '0')
		case 't':
			b = append(b, '\t')
		case 'T', 'X':
			b = hms(b, hour, min, sec)
		case 'u':
			b = strconv.AppendInt(b, int64((wday+6)%7+1), 10)
		case 'U':
			b = pad2(b, (yday+7-wday)/7, '0')
		case 'V':
			_, w := t.ISOWeek()
			b = pad2(b, w, '0')
		case 'w':
			b = strconv.AppendInt(b, int64(wday), 10)
		case 'W':
			b = pad2(b, (yday+7-(wday+6)%7)/7, '0')
		case 'y':
			b = pad2(b, year%100, '0')
		case 'Y':
			b = strconv.AppendInt(b, int64(year), 10)
		case 'z':
			_, off := t.Zone()
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			b = append(b, sign)
			b = pad2(b, off/3600, '0')
			b = pad2(b, off/60%60, '0')
		case 'Z':
			name, _ := t.Zone()
			b = append(b, name...)
		case '%':
			b = append(b, '%')
		default:
			b = append(b, '%', format[i])
		}
	}
	return b
}

// pad2 appends v (0..99 expected; wider values are written in full) in two
// columns, padded on the left with pad.
func pad2(b []byte, v int, pad byte) []byte {
	if v < 10 && v >= 0 {
		return append(b, pad, byte('0'+v))
	}
	return strconv.AppendInt(b, int64(v), 10)
}

func hms(b []byte, h, m, s int) []byte {
	b = pad2(b, h, '0')
	b = append(b, ':')
	b = pad2(b, m, '0')
	b = append(b, ':')
	return pad2(b, s, '0')
}

func hour12(h int) int {
	if h%12 == 0 {
		return 12
	}
	return h % 12
}

func ampm(h int, am, pm string) string {
	if h < 12 {
		return am
	}
	return pm
}
