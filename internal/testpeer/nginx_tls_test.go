package testpeer

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tlsDial connects to the TLS front, trusting only the test CA when ca is
// set, and returns the handshake's error.
func tlsDial(t *testing.T, port int, serverName, ca string) error {
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		require.NoError(t, err)
		cfg.RootCAs = x509.NewCertPool()
		require.True(t, cfg.RootCAs.AppendCertsFromPEM(pem))
	}
	d := &net.Dialer{Timeout: 2 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cfg)
	if err == nil {
		c.Close()
	}
	return err
}

func TestNginxTLSFront(t *testing.T) {
	n := StartNginxTLS(t)
	require.NotZero(t, n.TLSPort)
	require.NotEqual(t, n.Port, n.TLSPort)
	require.Equal(t, fmt.Sprintf("rtmps://127.0.0.1:%d/live/cam", n.TLSPort), n.TLSURL("cam"))
	require.FileExists(t, n.CAFile())

	// The certificate holds for the IP and for localhost, under the test CA
	// only: the system's roots do not know it.
	require.NoError(t, tlsDial(t, n.TLSPort, "127.0.0.1", n.CAFile()))
	require.NoError(t, tlsDial(t, n.TLSPort, "localhost", n.CAFile()))
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, tlsDial(t, n.TLSPort, "127.0.0.1", ""), &unknown)
	var wrongHost x509.HostnameError
	require.ErrorAs(t, tlsDial(t, n.TLSPort, "example.com", n.CAFile()), &wrongHost)

	// What is published over TLS is recorded like a plain publish.
	in := makeAV(t, "in.flv", 1)
	publish(t, in, n.TLSURL("tls"))
	p := FFprobe(t, n.WaitRecordingStable(t, "tls", 20*time.Second))
	require.NotNil(t, p.Video)
	require.InDelta(t, 1.0, p.Format.Duration, 0.3)

	// Restart keeps both ports and the certificate.
	port, tlsPort := n.Port, n.TLSPort
	n.Stop(t)
	require.Error(t, tlsDial(t, tlsPort, "127.0.0.1", n.CAFile()), "TLS front still up after Stop")
	n.Restart(t)
	require.Equal(t, port, n.Port)
	require.Equal(t, tlsPort, n.TLSPort)
	require.NoError(t, tlsDial(t, n.TLSPort, "127.0.0.1", n.CAFile()))
	publish(t, in, n.TLSURL("again"))
	require.InDelta(t, 1.0, FFprobe(t, n.WaitRecordingStable(t, "again", 20*time.Second)).Format.Duration, 0.3)
}
