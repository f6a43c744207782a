package presets

import "strings"

// urlParts is a URL split without net/url, whose errors quote the whole
// URL (and so the stream key).
type urlParts struct {
	scheme    string
	authority string // userinfo@host:port
	path      string // from the first '/' after the authority, without query
	rest      string // "?query" and/or "#fragment", with its leading mark
}

func splitURL(u string) (urlParts, bool) {
	i := strings.Index(u, "://")
	if i < 0 {
		return urlParts{}, false
	}
	p := urlParts{scheme: u[:i]}
	r := u[i+3:]
	end := strings.IndexAny(r, "/?#")
	if end < 0 {
		end = len(r)
	}
	p.authority, r = r[:end], r[end:]
	q := strings.IndexAny(r, "?#")
	if q < 0 {
		q = len(r)
	}
	p.path, p.rest = r[:q], r[q:]
	return p, true
}

// MaskURL hides the secret parts of a destination URL so that it can be
// logged or shown: everything after the app (the first path segment), that
// is the stream key and any query string, becomes "****", and so does a
// password or a bare user name in user:pass@.
//
//	rtmp://host/app/key      -> rtmp://host/app/****
//	rtmp://host/app/key?x=y  -> rtmp://host/app/****
//	rtmp://host/app?x=y      -> rtmp://host/app?****
//	rtmp://user:pass@host/a  -> rtmp://user:****@host/a
//
// A string without "://" is returned unchanged except for a query string.
func MaskURL(u string) string {
	p, ok := splitURL(u)
	if !ok {
		if q := strings.IndexByte(u, '?'); q >= 0 {
			return u[:q+1] + "****"
		}
		return u
	}
	auth := p.authority
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		user, host := auth[:at], auth[at+1:]
		if c := strings.IndexByte(user, ':'); c >= 0 {
			user = user[:c+1] + "****"
		} else {
			user = "****"
		}
		auth = user + "@" + host
	}
	out := p.scheme + "://" + auth
	if p.path == "" {
		if p.rest != "" {
			out += p.rest[:1] + "****"
		}
		return out
	}
	app, key, hasKey := strings.Cut(p.path[1:], "/")
	out += "/" + app
	switch {
	case hasKey && (key != "" || p.rest != ""):
		out += "/****"
	case hasKey:
		out += "/"
	case p.rest != "":
		out += p.rest[:1] + "****"
	}
	return out
}

// maskForError masks a URL that failed validation. Unlike MaskURL it also
// hides a lone path segment, which may be a stream key typed without the
// app (rtmp://host/KEY -> rtmp://host/****).
func maskForError(p urlParts) string {
	whole := p.scheme + "://" + p.authority + p.path + p.rest
	if _, _, hasKey := strings.Cut(strings.TrimPrefix(p.path, "/"), "/"); hasKey {
		return MaskURL(whole)
	}
	base := MaskURL(p.scheme + "://" + p.authority)
	if p.path != "" || p.rest != "" {
		base += "/****"
	}
	return base
}

// MaskTyped masks a destination URL while it is being typed or pasted (the
// console's add prompt), where what comes next is unknown: a lone path
// segment may be a key typed without the app (rtmp://host/KEY), a password
// shows before its '@' is typed (rtmp://user:pa…), and text that is not
// the start of an rtmp:// or rtmps:// URL may be a key pasted on its own.
// All of those show as ****; the rest as MaskURL.
func MaskTyped(v string) string {
	p, ok := splitURL(v)
	if !ok {
		if l := strings.ToLower(v); strings.HasPrefix("rtmp://", l) || strings.HasPrefix("rtmps://", l) {
			return v
		}
		return "****"
	}
	masked := maskForError(p)
	auth := p.authority
	if strings.Contains(auth, "@") || strings.HasPrefix(auth, "[") {
		return masked
	}
	if c := strings.IndexByte(auth, ':'); c >= 0 && strings.Trim(auth[c+1:], "0123456789") != "" {
		// Not a port: a password whose '@' is still to come.
		head := p.scheme + "://"
		return head + auth[:c+1] + "****" + masked[len(head)+len(auth):]
	}
	return masked
}
