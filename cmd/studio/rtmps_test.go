package main

// End-to-end rtmps://: the real binary through nginx's TLS front (a
// certificate from a throwaway CA) to nginx-rtmp, whose recording ffprobe
// checks.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"studio/internal/testpeer"
	"studio/presets"
)

// tlsPreset writes a small preset (640x360 test pattern) to a temp dir,
// with network.ca_file set when ca is not empty, and returns its path.
func tlsPreset(t *testing.T, ca string) string {
	t.Helper()
	yaml := "name: tls\nvideo:\n  size: 640x360\n  bitrate: 800k\n"
	if ca != "" {
		yaml += fmt.Sprintf("network:\n  ca_file: %q\n", ca)
	}
	path := filepath.Join(t.TempDir(), "tls.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o644))
	return path
}

func TestRTMPSPublishWithCAFile(t *testing.T) {
	ngx := testpeer.StartNginxTLS(t)
	const key = "tlsKey9d2e"
	r := studio(t, "run", "--preset", tlsPreset(t, ngx.CAFile()), "--to", ngx.TLSURL(key), "--duration", "5s")
	require.Equal(t, 0, r.code, r.all())
	require.NotContains(t, r.all(), key, "stream key leaked")

	got := ngx.WaitRecordingStable(t, key, 10*time.Second)
	checkStream(t, got, 640, 360, 30, 5)
	t.Logf("recorded %.2f s over rtmps", testpeer.FFprobe(t, got).Format.Duration)
	require.Contains(t, ngx.ErrorLog(), "deleteStream", "stream was not unpublished")
	// The stream module logs "proxy … connected to" the RTMP port only once
	// a TLS handshake is through (every plain accept is "client …").
	require.Regexp(t, fmt.Sprintf(`proxy \S+ connected to 127\.0\.0\.1:%d`, ngx.Port), ngx.ErrorLog(), "not through the TLS front")
}

func TestRTMPSRefused(t *testing.T) {
	ngx := testpeer.StartNginxTLS(t)
	const key = "tlsSecret77"
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-ca.pem")
	notPEM := filepath.Join(dir, "not-a-ca.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello\n"), 0o644))
	host := fmt.Sprintf("127.0.0.1:%d", ngx.TLSPort)
	// nginx logs (level info) every connection its TLS front accepts.
	tlsConns := func() int { return strings.Count(ngx.ErrorLog(), "connected to "+host) }

	cases := []struct {
		name  string
		ca    string
		code  int
		want  []string
		tries int // connections to the TLS front, at most
	}{
		// The system's roots do not know the test CA: a certificate error
		// is not retried for long.
		{"no ca_file", "", 1, []string{"TLS: the certificate of " + host + " is signed by an unknown authority", "network.ca_file"}, 3},
		// A bad ca_file is found before going live: nothing connects.
		{"missing ca_file", missing, 2, []string{"network.ca_file", missing, "not found"}, 0},
		{"ca_file not PEM", notPEM, 2, []string{"network.ca_file", notPEM, "no PEM certificate"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conns, start := tlsConns(), time.Now()
			r := studio(t, "run", "--preset", tlsPreset(t, tc.ca), "--to", ngx.TLSURL(key), "--duration", "5s")
			require.Equal(t, tc.code, r.code, r.all())
			for _, w := range tc.want {
				require.Contains(t, r.stderr, w)
			}
			require.NotContains(t, r.all(), key, "stream key leaked")
			require.Less(t, time.Since(start), 20*time.Second, "gave up too slowly (retry storm?)")
			tries := tlsConns() - conns
			t.Logf("%d connection(s) to the TLS front", tries)
			require.LessOrEqual(t, tries, tc.tries)
			if tc.tries > 0 {
				require.Positive(t, tries)
			}
		})
	}
	// Nothing was ever published: the TLS handshakes failed or never began.
	require.NotContains(t, ngx.ErrorLog(), "publish: name=")
	_, err := os.Stat(ngx.Recording(key))
	require.True(t, os.IsNotExist(err), "a recording exists: %v", err)
}

// The preset's CA file reaches every destination through the engine
// (TestRTMPSPublishWithCAFile shows it working for a --to URL); names
// given to --to URLs never take a preset output's name.
func TestBuildDestinationsNamesDoNotCollide(t *testing.T) {
	p, err := presets.Parse("p.yaml", []byte("outputs:\n  - url: rtmps://ingest.example.com/live/k1\n  - name: out2\n    url: rtmp://b.example.com/live/k2\n"))
	require.NoError(t, err)
	dests, err := buildDestinations(p, []string{"rtmps://backup.example.com/live/k3"})
	require.NoError(t, err)
	var names []string
	for _, d := range dests {
		names = append(names, d.Name)
	}
	require.Equal(t, []string{"out1", "out2", "out3"}, names)
}
