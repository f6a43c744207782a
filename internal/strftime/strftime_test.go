package strftime

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// allConversions uses every conversion Append knows.
const allConversions = "%a|%A|%b|%B|%c|%C|%d|%D|%e|%F|%g|%G|%h|%H|%I|%j|%k|%l|%m|%M|%n|%p|%P|%r|%R|%s|%S|%t|%T|%u|%U|%V|%w|%W|%x|%X|%y|%Y|%z|%Z|%%|text"

// TestStrftimeMatchesDate compares Append with the C library's
// strftime as GNU date runs it (C locale), over instants that exercise
// the edges: a leap day, the ISO week-year boundary, 12 AM/PM, DST.
func TestStrftimeMatchesDate(t *testing.T) {
	if _, err := exec.LookPath("date"); err != nil {
		t.Skip("no date(1)")
	}
	require.NoError(t, Check(allConversions))
	for _, zone := range []string{"UTC", "America/New_York", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		for _, s := range []string{
			"2024-02-29T23:59:58Z", // leap day, 11 PM
			"2024-12-30T00:00:00Z", // ISO week 1 of 2025
			"2021-01-03T12:30:05Z", // ISO week 53 of 2020, a Sunday, noon
			"2026-07-04T07:08:09Z", // summer time in New York
			"1999-12-31T23:59:59Z",
		} {
			at, err := time.Parse(time.RFC3339, s)
			require.NoError(t, err)
			cmd := exec.Command("date", "-d", "@"+strconv.FormatInt(at.Unix(), 10), "+"+allConversions)
			cmd.Env = append(os.Environ(), "TZ="+zone, "LC_ALL=C")
			out, err := cmd.Output()
			require.NoError(t, err)
			want := strings.TrimSuffix(string(out), "\n")
			require.Equal(t, want, string(Append(nil, allConversions, at.In(loc))), "%s in %s", s, zone)
		}
	}
}

// TestStrftimeAllocatesNothing: formatting into a buffer with room is free.
func TestStrftimeAllocatesNothing(t *testing.T) {
	at := time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC)
	buf := make([]byte, 0, 512)
	require.Zero(t, testing.AllocsPerRun(100, func() { buf = Append(buf[:0], allConversions, at) }))
}
