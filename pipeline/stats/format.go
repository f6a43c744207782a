package stats

import (
	"strconv"
	"time"
)

// Clock writes a running time as hh:mm:ss (LIVE 01:02:03 in the console,
// the status line of studio run): whole seconds, cut not rounded; hours
// past 99 take more digits; a negative duration reads 00:00:00.
func Clock(d time.Duration) string {
	d = max(d, 0)
	h, m, s := int64(d/time.Hour), int64(d/time.Minute%60), int64(d/time.Second%60)
	b := make([]byte, 0, 8)
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	return string(append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10)))
}
