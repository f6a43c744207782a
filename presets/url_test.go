package presets

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Whatever has been typed so far, the stream key, the query and a password
// never show.
func TestMaskTyped(t *testing.T) {
	for _, tc := range []struct{ typed, shown string }{
		{"", ""},
		{"r", "r"},
		{"rtmp:/", "rtmp:/"},
		{"RTMPS:", "RTMPS:"},
		{"rtmp://", "rtmp://"},
		{"rtmp://live.twitch.tv", "rtmp://live.twitch.tv"},
		{"rtmp://127.0.0.1:19", "rtmp://127.0.0.1:19"},
		// One segment may be the app or a key typed without it: hidden
		// until the second '/' says which.
		{"rtmp://host/app", "rtmp://host/****"},
		{"rtmp://host/live_123_SECRET", "rtmp://host/****"},
		{"rtmp://a.rtmp.youtube.com/SECRETKEY", "rtmp://a.rtmp.youtube.com/****"},
		{"rtmp://host/app/", "rtmp://host/app/"},
		{"rtmp://host/app/l", "rtmp://host/app/****"},
		{"rtmp://host/app/live_123_SECRET", "rtmp://host/app/****"},
		{"rtmp://host/app/live_123_SECRET?bw=1", "rtmp://host/app/****"},
		{"rtmp://host/app?key=SECRET", "rtmp://host/****"},
		{"rtmp://host?SECRET", "rtmp://host/****"},
		{"rtmps://user:SECR", "rtmps://user:****"},                      // a password before its @
		{"rtmps://user:SECRET@host/app", "rtmps://user:****@host/****"}, // and after
		{"rtmp://user:SECRET/app/k", "rtmp://user:****/app/****"},
		{"rtmp://[::1]:1935/app/SECRET", "rtmp://[::1]:1935/app/****"},
		{"live_123_SECRET", "****"}, // a key pasted on its own
		{"rtmpSECRET", "****"},
		{"host/app/SECRET", "****"},
	} {
		require.Equal(t, tc.shown, MaskTyped(tc.typed), tc.typed)
		require.NotContains(t, MaskTyped(tc.typed), "SECR", tc.typed)
	}
}
