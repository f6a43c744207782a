package output

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/stretchr/testify/require"

	"studio/pipeline/output/flv"
)

func newTestRTMP(t *testing.T, raw string) *RTMP {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return &RTMP{URL: raw, secrets: secretsOf(u), path: u.Path, host: u.Host}
}

// badResult is the error text gortmplib gives for a rejected publish
// (fmt.Errorf("bad result: %v", res) on the onStatus command).
func badResult(code, desc string) error {
	res := &message.CommandAMF0{ChunkStreamID: 3, MessageStreamID: 0x1000000, Name: "onStatus", Arguments: []any{
		nil, amf0.Object{{Key: "level", Value: "error"}, {Key: "code", Value: code}, {Key: "description", Value: desc}},
	}}
	return fmt.Errorf("bad result: %v", res)
}

func TestScrubNeverLeaksSecrets(t *testing.T) {
	for _, tc := range []struct {
		url     string
		secrets []string // must not appear after scrubbing
		keep    []string // must still be readable
	}{
		{"rtmp://h/app/key", []string{"key"}, []string{"rtmp://h/app/"}},
		{"rtmp://live.example.com/app/live_1234567_AbCdEf", []string{"live_1234567_AbCdEf"}, []string{"live.example.com"}},
		{"rtmp://h/app/key?token=x", []string{"key", "token=x"}, []string{"rtmp://h/app/"}},
		{"rtmp://h/app/sk_abcdef?token=s3cr3t&exp=99", []string{"sk_abcdef", "s3cr3t"}, []string{"rtmp://h/app/"}},
		{"rtmp://user:pw@h/app/key", []string{"pw", "key"}, []string{"user"}},
		{"rtmp://user:p%40ss%2Fword@h/app/streamkey", []string{"p@ss/word", "p%40ss%2Fword", "streamkey"}, []string{"user"}},
		{"rtmp://h/app/inst/key", []string{"key"}, []string{"rtmp://h/app/"}},
		{"rtmp://h/app/inst/sk_live_9876", []string{"sk_live_9876", "inst/sk_live_9876"}, []string{"rtmp://h/app/"}},
		{"rtmps://h:443/app/with%20space", []string{"with space", "with%20space"}, []string{"rtmps://h:443/app/"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			r := newTestRTMP(t, tc.url)
			u, _ := url.Parse(tc.url)
			msgs := []string{
				tc.url,
				u.String(),
				"publish " + u.Path + " failed",
				"stream " + lastSegment(u.Path) + " is already publishing",
				"tcUrl=" + u.Scheme + "://" + u.User.String() + "@" + u.Host + " stream=" + strings.TrimPrefix(u.RequestURI(), "/app/"),
			}
			if p, ok := u.User.Password(); ok {
				msgs = append(msgs, "auth failed for password "+p)
			}
			if u.RawQuery != "" {
				q, _ := url.ParseQuery(u.RawQuery)
				for _, v := range q {
					msgs = append(msgs, "bad token "+v[0])
				}
			}
			for _, m := range msgs {
				out := r.scrub(m)
				for _, s := range tc.secrets {
					require.NotContains(t, out, s, "scrub(%q)", m)
				}
			}
			out := r.scrub(tc.url)
			require.Contains(t, out, "****")
			for _, k := range tc.keep {
				require.Contains(t, out, k)
			}
		})
	}
}

func TestSecretsOfNoPathNoSecrets(t *testing.T) {
	for _, raw := range []string{"rtmp://h", "rtmp://h/", "rtmp://h/app", "rtmp://h/app/"} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		require.Empty(t, secretsOf(u), raw)
	}
}

func TestStatusOf(t *testing.T) {
	obj := amf0.Object{{Key: "level", Value: "error"}, {Key: "code", Value: "NetStream.Publish.BadName"}, {Key: "description", Value: "Already publishing"}}
	for _, tc := range []struct {
		name              string
		args              []any
		level, code, desc string
	}{
		{"usual layout", []any{nil, obj}, "error", "NetStream.Publish.BadName", "Already publishing"},
		{"object first", []any{obj}, "error", "NetStream.Publish.BadName", "Already publishing"},
		{"status ok", []any{nil, amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}}}, "status", "NetStream.Publish.Start", ""},
		{"no object", []any{nil, 1.0, "x"}, "", "", ""},
		{"empty", nil, "", "", ""},
		{"wrong value types", []any{amf0.Object{{Key: "level", Value: 3.0}, {Key: "code", Value: true}}}, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			level, code, desc := statusOf(tc.args)
			require.Equal(t, tc.level, level)
			require.Equal(t, tc.code, code)
			require.Equal(t, tc.desc, desc)
		})
	}
}

func TestVideoMessage(t *testing.T) {
	au := []byte{0, 0, 0, 1, 0x65, 0x88, 0x84, 0, 0, 1, 0x06, 0x05}
	for _, tc := range []struct {
		name string
		key  bool
		cts  int32
	}{
		{"key, no cts", true, 0},
		{"inter, positive cts", false, 67},
		{"inter, negative cts", false, -33},
		{"key, negative cts", true, -1},
		{"max cts", false, 1<<23 - 1},
		{"min cts", false, -1 << 23},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := flv.AppendAVCFrame(nil, au, tc.key, tc.cts)
			m := videoMessage(body, 1234*time.Millisecond)
			require.Equal(t, tc.key, m.IsKeyFrame)
			require.Equal(t, time.Duration(tc.cts)*time.Millisecond, m.PTSDelta)
			require.Equal(t, 1234*time.Millisecond, m.DTS)
			require.Equal(t, message.VideoTypeAU, m.Type)
			require.EqualValues(t, message.CodecH264, m.Codec)
			require.Equal(t, body[5:], m.Payload)
			_, _, nalus, err := flv.ParseAVCFrame(body)
			require.NoError(t, err)
			require.Len(t, nalus, 2)
		})
	}
	seq := flv.AppendAVCSequenceHeader(nil, []byte{1, 0x64, 0, 0x1f, 0xff})
	m := videoMessage(seq, 0)
	require.True(t, m.IsKeyFrame)
	require.Equal(t, message.VideoTypeConfig, m.Type)
	require.Zero(t, m.PTSDelta)
}

func TestAudioMessage(t *testing.T) {
	raw := []byte{0x21, 0x10, 0x04}
	m := audioMessage(flv.AppendAACFrame(nil, raw), 500*time.Millisecond)
	require.Equal(t, message.AudioAACTypeAU, m.AACType)
	require.EqualValues(t, message.CodecMPEG4Audio, m.Codec)
	require.Equal(t, raw, m.Payload)
	require.True(t, m.IsStereo)
	require.EqualValues(t, 3, m.Rate) // legacy 44 kHz flag
	require.EqualValues(t, 1, m.Depth)
	require.Equal(t, 500*time.Millisecond, m.DTS)
	m = audioMessage(flv.AppendAACSequenceHeader(nil, []byte{0x11, 0x90}), 0)
	require.Equal(t, message.AudioAACTypeConfig, m.AACType)
	require.Equal(t, []byte{0x11, 0x90}, m.Payload)
}

func TestConnectError(t *testing.T) {
	const raw = "rtmp://ingest.example.com:1935/live/sk_live_0123456789"
	const key = "sk_live_0123456789"
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
		want      []string
	}{
		{"publish rejected", badResult("NetStream.Publish.BadName", "Already publishing"), true,
			[]string{"server rejected the publish: NetStream.Publish.BadName: Already publishing"}},
		{"rejection naming the key", badResult("NetStream.Publish.BadName", "Stream "+key+" is already publishing"), true,
			[]string{"NetStream.Publish.BadName", "Stream **** is already publishing"}},
		{"rejection without code", errors.New("bad result: &{3 0 _error 4 [<nil>]}"), true,
			[]string{"server rejected the publish: rejected"}},
		{"connection closed", fmt.Errorf("read: %w", io.EOF), false, []string{`application "live"`}},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), false, []string{`application "live"`}},
		{"timeout", fmt.Errorf("handshake: %w", context.DeadlineExceeded), false,
			[]string{"no answer from ingest.example.com:1935 within 10s"}},
		{"dns", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "ingest.example.com", IsNotFound: true}}, false,
			[]string{`cannot resolve server host "ingest.example.com"`}},
		{"refused", &net.OpError{Op: "dial", Err: &os_SyscallError{syscall.ECONNREFUSED}}, false,
			[]string{"connection refused by ingest.example.com:1935"}},
		{"other, key scrubbed", errors.New("weird failure on /live/" + key), false, []string{"weird failure on /live/****"}},
		{"tls unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, true,
			[]string{"TLS: the certificate of ingest.example.com:1935 is signed by an unknown authority", "network.ca_file"}},
		{"tls wrong host", &tls.CertificateVerificationError{Err: x509.HostnameError{
			Certificate: &x509.Certificate{DNSNames: []string{"localhost"}}, Host: "ingest.example.com"}}, true,
			[]string{"TLS: the certificate of ingest.example.com:1935 is for another host", "valid for localhost, not ingest.example.com"}},
		{"tls expired", &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{
			Cert: &x509.Certificate{}, Reason: x509.Expired, Detail: "current time is after 2020"}}, true,
			[]string{"TLS: the certificate of ingest.example.com:1935 is invalid", "expired"}},
		{"tls to a plain server", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true,
			[]string{"TLS: ingest.example.com:1935 did not answer in TLS", "rtmp://"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRTMP(t, raw)
			err := r.connectError(tc.err)
			require.Error(t, err)
			var perm *PermanentError
			require.Equal(t, tc.permanent, errors.As(err, &perm), "permanent? %v", err)
			require.NotContains(t, err.Error(), key)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

// os_SyscallError wraps an errno like os.SyscallError does, so errors.Is finds it.
type os_SyscallError struct{ errno syscall.Errno }

func (e *os_SyscallError) Error() string { return "connect: " + e.errno.Error() }
func (e *os_SyscallError) Unwrap() error { return e.errno }

func TestLastSegment(t *testing.T) {
	for in, want := range map[string]string{"/app/key": "key", "/app/inst/key": "key", "key": "key", "": "", "/app/": ""} {
		require.Equal(t, want, lastSegment(in), in)
	}
}
