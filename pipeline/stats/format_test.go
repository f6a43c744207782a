package stats

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClock(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "00:00:00"},
		{1999 * time.Millisecond, "00:00:01"},
		{time.Hour + 2*time.Minute + 3*time.Second, "01:02:03"},
		{123*time.Hour + 59*time.Minute + 59*time.Second, "123:59:59"},
		{-time.Second, "00:00:00"},
	} {
		require.Equal(t, tc.want, Clock(tc.d), tc.d)
	}
}
