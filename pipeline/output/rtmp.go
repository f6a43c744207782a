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
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"

	"studio/pipeline/media"
	"studio/pipeline/output/flv"
	"studio/presets"
)

// connectTimeout bounds connecting and publishing.
const connectTimeout = 10 * time.Second

// RTMP publishes the stream to an RTMP or RTMPS server through gortmplib,
// which stays behind this type.
type RTMP struct {
	// URL is the full destination URL, stream key included. It is never
	// printed: errors go through scrub.
	URL string
	// CAFile optionally adds a CA for rtmps:// servers with private certificates.
	CAFile string

	secrets []string
	client  *gortmplib.Client
	// wmu serialises writes: gortmplib answers pings and acknowledgements
	// from inside Read, which runs on the reader goroutine.
	wmu        sync.Mutex
	sock       *socketWatch // nil when the connection is not TCP underneath
	readerDone chan struct{}
	readErr    atomic.Value // error
	tags       tagger
	// vmsg and amsg are reused for every packet so that Write does not
	// allocate a message of its own (gortmplib still allocates the body).
	vmsg message.Video
	amsg message.Audio
	// countMu guards counted and base, which BytesWritten reads from the
	// stats goroutine while the writer goroutine connects and closes.
	countMu sync.Mutex
	counted *gortmplib.Client // the open connection, whose bytes count
	base    int64             // bytes counted by closed connections
	path    string            // URL path: /app/key
	host    string
}

// Open implements Sink: connect, publish, then metadata and sequence
// headers. A header without video (see audioOnly) makes an audio-only
// stream: onMetaData without video fields, no AVC sequence header.
func (r *RTMP) Open(ctx context.Context, h media.StreamHeader) error {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "rtmp" && u.Scheme != "rtmps") || u.Host == "" {
		return &PermanentError{fmt.Errorf("bad RTMP URL %s", presets.MaskURL(r.URL))}
	}
	r.secrets = secretsOf(u)
	if u.Port() == "" {
		port := "1935"
		if u.Scheme == "rtmps" {
			port = "443"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	hb, err := makeHeaderBodies(h)
	if err != nil {
		return &PermanentError{err}
	}
	// Everything that can fail without the network is done before
	// connecting, so a failure never leaves a connection behind.
	meta, err := amf0.Unmarshal(hb.metadata)
	if err != nil {
		return &PermanentError{fmt.Errorf("onMetaData: %w", err)}
	}
	c := &gortmplib.Client{URL: u, Publish: true}
	if u.Scheme == "rtmps" {
		if c.TLSConfig, err = r.tlsConfig(u.Hostname()); err != nil {
			return &PermanentError{err}
		}
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	r.path, r.host = u.Path, u.Host
	if err := c.Initialize(cctx); err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			// gortmplib dials and handshakes on this context; when it ends
			// it reports the dial or the read that failed. Say which.
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				return fmt.Errorf("no answer from %s within %s (connecting timed out: host down or port filtered?)", r.host, connectTimeout)
			}
			return fmt.Errorf("no answer from %s within %s (the server took the connection but did not complete the RTMP handshake)",
				r.host, connectTimeout)
		}
		return r.connectError(err)
	}
	r.client = c
	r.countMu.Lock()
	r.counted = c
	r.countMu.Unlock()
	r.sock, _ = watchSocket(c.NetConn())
	r.readerDone = make(chan struct{})
	r.readErr = atomic.Value{}
	go r.readLoop(c)

	msgs := []message.Message{
		&message.DataAMF0{ChunkStreamID: 4, MessageStreamID: 0x1000000, Payload: append(amf0.Data{"@setDataFrame"}, meta...)},
	}
	if hb.avcSeq != nil { // nil: an audio-only stream
		msgs = append(msgs, ptr(videoMessage(hb.avcSeq, 0)))
	}
	msgs = append(msgs, ptr(audioMessage(hb.aacSeq, 0)))
	for _, m := range msgs {
		if err := r.write(m); err != nil {
			r.Close()
			return err
		}
	}
	return nil
}

func (r *RTMP) tlsConfig(host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if r.CAFile != "" {
		pool, err := LoadCAPool(r.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// ErrNoPEM: a CA file holds no PEM certificate.
var ErrNoPEM = errors.New("holds no PEM certificate")

// LoadCAPool is the system's certificate authorities plus the ones in the
// PEM file at path (the preset's network.ca_file). Read on every connect,
// so a renewed file is picked up without a restart.
func LoadCAPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s: %w", path, ErrNoPEM)
	}
	return pool, nil
}

// videoMessage wraps an FLV video tag body (as built by package flv) in a
// gortmplib message; the body layout is the RTMP video payload.
func videoMessage(body []byte, dts time.Duration) message.Video {
	cts := int32(uint32(body[2])<<16|uint32(body[3])<<8|uint32(body[4])) << 8 >> 8
	return message.Video{
		ChunkStreamID:   message.VideoChunkStreamID,
		MessageStreamID: 0x1000000,
		DTS:             dts,
		Codec:           message.CodecH264,
		IsKeyFrame:      body[0]>>4 == 1,
		Type:            message.VideoType(body[1]),
		PTSDelta:        time.Duration(cts) * time.Millisecond,
		Payload:         body[5:],
	}
}

// audioMessage wraps an FLV AAC tag body.
func audioMessage(body []byte, dts time.Duration) message.Audio {
	return message.Audio{
		ChunkStreamID:   message.AudioChunkStreamID,
		MessageStreamID: 0x1000000,
		DTS:             dts,
		Codec:           message.CodecMPEG4Audio,
		Rate:            flvRate(body[0]),
		Depth:           (body[0] >> 1) & 1,
		IsStereo:        body[0]&1 == 1,
		AACType:         message.AudioAACType(body[1]),
		Payload:         body[2:],
	}
}

func flvRate(b byte) uint8 { return (b >> 2) & 3 }

func ptr[T any](v T) *T { return &v }

// Write implements Sink.
func (r *RTMP) Write(p *media.Packet) error {
	if err, _ := r.readErr.Load().(error); err != nil {
		return err
	}
	typ, ts, body := r.tags.body(p)
	dts := time.Duration(ts) * time.Millisecond
	if typ == flv.TagVideo {
		r.vmsg = videoMessage(body, dts)
		return r.write(&r.vmsg)
	}
	r.amsg = audioMessage(body, dts)
	return r.write(&r.amsg)
}

func (r *RTMP) write(m message.Message) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	_ = r.client.NetConn().SetWriteDeadline(time.Now().Add(writeTimeout))
	if r.sock != nil {
		err := r.sock.beginWrite()
		defer r.sock.endWrite()
		if err != nil {
			return r.writeError(err)
		}
	}
	if err := r.client.Write(m); err != nil {
		return r.writeError(err)
	}
	return nil
}

func (r *RTMP) writeError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		if r.sock != nil && r.sock.stalled.Load() {
			return fmt.Errorf("the server stopped reading: nothing acknowledged for %s (stalled peer)", stallAfter)
		}
		return fmt.Errorf("sending one message took over %s", writeTimeout)
	}
	return errors.New(r.scrub(fmt.Sprintf("send: %v", err)))
}

// readLoop drains what the server sends (acks, pings, status) so that the
// connection stays healthy, and records why it ended.
func (r *RTMP) readLoop(c *gortmplib.Client) {
	defer close(r.readerDone)
	for {
		if err := waitReadable(c.NetConn()); err != nil {
			r.readErr.Store(r.closedError(err))
			return
		}
		r.wmu.Lock()
		msg, err := c.Read()
		r.wmu.Unlock()
		if err != nil {
			r.readErr.Store(r.closedError(err))
			return
		}
		if cmd, ok := msg.(*message.CommandAMF0); ok && cmd.Name == "onStatus" {
			if level, code, desc := statusOf(cmd.Arguments); level == "error" {
				r.readErr.Store(&PermanentError{errors.New(r.scrub(fmt.Sprintf("server: %s %s", code, desc)))})
			}
		}
	}
}

func (r *RTMP) closedError(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("server closed the connection")
	}
	return errors.New(r.scrub(err.Error()))
}

// waitReadable blocks until the socket has data (or is closed) without
// consuming anything, so that Read runs under the write lock only when it
// will not block on the network.
func waitReadable(nc net.Conn) error {
	tc, ok := tcpConn(nc)
	if !ok {
		return nil // TLS over something else: fall back to a plain Read
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	var b [1]byte
	return raw.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return !errors.Is(err, syscall.EAGAIN)
	})
}

func tcpConn(nc net.Conn) (*net.TCPConn, bool) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	tc, ok := nc.(*net.TCPConn)
	return tc, ok
}

// Close implements Sink: it unpublishes and closes the connection.
func (r *RTMP) Close() error {
	c := r.client
	if c == nil {
		return nil
	}
	r.client = nil
	r.wmu.Lock()
	// A peer found stalled would only hold the unpublish for its 2 s and
	// delay the reconnect.
	if r.sock == nil || !r.sock.stalled.Load() {
		_ = c.NetConn().SetWriteDeadline(time.Now().Add(2 * time.Second))
		_ = c.Write(&message.CommandAMF0{ChunkStreamID: 3, Name: "FCUnpublish", CommandID: 6, Arguments: []any{nil, lastSegment(r.path)}})
		_ = c.Write(&message.CommandAMF0{ChunkStreamID: 3, Name: "deleteStream", CommandID: 7, Arguments: []any{nil, float64(1)}})
	}
	r.wmu.Unlock()
	if r.sock != nil {
		r.sock.close()
		r.sock = nil
	}
	r.countMu.Lock()
	r.base += int64(c.BytesSent())
	r.counted = nil
	r.countMu.Unlock()
	c.Close()
	<-r.readerDone
	return nil
}

// BytesWritten implements Sink.
func (r *RTMP) BytesWritten() int64 {
	r.countMu.Lock()
	defer r.countMu.Unlock()
	if r.counted == nil {
		return r.base
	}
	return r.base + int64(r.counted.BytesSent())
}

func lastSegment(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

var (
	reCode = regexp.MustCompile(`\{code ([^}]*)\}`)
	reDesc = regexp.MustCompile(`\{description ([^}]*)\}`)
)

// connectError turns gortmplib's connect/publish errors into a message that
// names the server's reason, and decides whether retrying makes sense.
func (r *RTMP) connectError(err error) error {
	s := err.Error()
	if strings.HasPrefix(s, "bad result:") {
		reason := "rejected"
		if m := reCode.FindStringSubmatch(s); m != nil {
			reason = m[1]
		}
		if m := reDesc.FindStringSubmatch(s); m != nil {
			reason += ": " + m[1]
		}
		return &PermanentError{errors.New(r.scrub("server rejected the publish: " + reason))}
	}
	if terr := r.tlsError(err); terr != nil {
		return &PermanentError{terr}
	}
	app := strings.SplitN(strings.TrimPrefix(r.path, "/"), "/", 2)[0]
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("the server closed the connection when asked to publish to application %q "+
			"(unknown application, or the server refused the stream key)", app)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer from %s within %s", r.host, connectTimeout)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("cannot resolve server host %q (check the URL; is the network up?)", dnsErr.Name)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("connection refused by %s (is the RTMP server running on that port?)", r.host)
	}
	return errors.New(r.scrub(s))
}

// tlsError names the host whose certificate (or TLS handshake) failed and
// what to do about it; nil when err is not a TLS failure.
func (r *RTMP) tlsError(err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("TLS: the certificate of %s is signed by an unknown authority "+
			"(a private CA? set network.ca_file in the preset to its PEM file)", r.host)
	case errors.As(err, &hostname):
		return errors.New(r.scrub(fmt.Sprintf("TLS: the certificate of %s is for another host: %v", r.host, hostname)))
	case errors.As(err, &invalid):
		return errors.New(r.scrub(fmt.Sprintf("TLS: the certificate of %s is invalid: %v", r.host, invalid)))
	case errors.As(err, &record):
		return fmt.Errorf("TLS: %s did not answer in TLS (a plain RTMP server? use rtmp://)", r.host)
	}
	return nil
}

// statusOf reads level, code and description from onStatus arguments.
func statusOf(args []any) (level, code, desc string) {
	for _, a := range args {
		if obj, ok := a.(amf0.Object); ok {
			level, _ = obj.GetString("level")
			code, _ = obj.GetString("code")
			desc, _ = obj.GetString("description")
		}
	}
	return
}

// secretsOf lists the parts of u that must never be shown: the stream key
// (path after the app), the query string and a password.
func secretsOf(u *url.URL) []string {
	var s []string
	parts := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 2)
	if len(parts) == 2 && parts[1] != "" {
		s = append(s, parts[1], url.PathEscape(parts[1]))
		segs := strings.Split(parts[1], "/")
		for i, seg := range segs {
			// The last segment is the stream key gortmplib publishes
			// (app/inst/key): hide it whatever its length.
			if len(seg) >= 4 || (i == len(segs)-1 && seg != "") {
				s = append(s, seg, url.PathEscape(seg))
			}
		}
	}
	if u.RawQuery != "" {
		s = append(s, u.RawQuery)
		q, _ := url.ParseQuery(u.RawQuery)
		for _, vs := range q {
			for _, v := range vs {
				if len(v) >= 4 { // tokens; short values would garble messages
					s = append(s, v, url.QueryEscape(v))
				}
			}
		}
	}
	if p, ok := u.User.Password(); ok && p != "" {
		s = append(s, p)
		// The escaped form is what a printed URL (or tcUrl) shows.
		if _, escaped, ok := strings.Cut(u.User.String(), ":"); ok {
			s = append(s, escaped)
		}
	}
	return s
}

// scrub replaces every secret in s with ****.
func (r *RTMP) scrub(s string) string {
	for _, sec := range r.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "****")
		}
	}
	return s
}
