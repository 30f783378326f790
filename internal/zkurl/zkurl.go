// Package zkurl parses the ZooKeeper URLs Mesos, Marathon and Chronos take in
// their --zk and --master flags: "zk://host1:2181,host2:2181/path", optionally
// with "user:pass@" for digest authentication. It only parses; connecting is
// the job of internal/store and internal/election.
package zkurl

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
)

// URL is a parsed ZooKeeper URL.
type URL struct {
	// Servers are "host:port" pairs in the order given.
	Servers []string
	// Path is the znode path the URL names, "/" when the URL names the root.
	// It always starts with "/" and never ends with one (except "/" itself).
	Path string
	// Auth is "user:pass" for ZooKeeper digest authentication, or "".
	Auth string
}

// Parse parses "zk://host1:2181,host2:2181/path" or
// "zk://user:pass@host1:2181/path". A server without a port gets 2181, the
// ZooKeeper default.
func Parse(s string) (URL, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "zk://")
	if !ok {
		return URL{}, fmt.Errorf("zk url %q: must start with zk://", s)
	}
	var u URL
	hosts, path := rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		hosts, path = rest[:i], rest[i:]
	}
	// The credentials end at the last '@' before the path so that a password
	// may itself contain '@'.
	if i := strings.LastIndexByte(hosts, '@'); i >= 0 {
		u.Auth, hosts = hosts[:i], hosts[i+1:]
		user, pass, ok := strings.Cut(u.Auth, ":")
		if !ok || user == "" || pass == "" {
			return URL{}, fmt.Errorf("zk url %q: credentials must be user:pass", s)
		}
	}
	if hosts == "" {
		return URL{}, fmt.Errorf("zk url %q: no servers", s)
	}
	for _, h := range strings.Split(hosts, ",") {
		srv, err := server(h)
		if err != nil {
			return URL{}, fmt.Errorf("zk url %q: %w", s, err)
		}
		u.Servers = append(u.Servers, srv)
	}
	p, err := cleanPath(path)
	if err != nil {
		return URL{}, fmt.Errorf("zk url %q: %w", s, err)
	}
	u.Path = p
	return u, nil
}

func server(h string) (string, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", fmt.Errorf("empty server in list")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: the whole thing is a host (possibly a bracketed IPv6).
		switch {
		case !strings.Contains(err.Error(), "missing port"):
			return "", fmt.Errorf("server %q: %v", h, err)
		case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
			host, port = h[1:len(h)-1], "2181"
		default:
			host, port = h, "2181"
		}
	}
	if host == "" || strings.ContainsAny(host, "/?#@[]") || strings.ContainsFunc(host, isControl) || strings.ContainsFunc(host, unicode.IsSpace) {
		return "", fmt.Errorf("server %q: invalid host", h)
	}
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return "", fmt.Errorf("server %q: invalid host", h)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("server %q: port must be 1-65535", h)
	}
	return net.JoinHostPort(host, port), nil
}

// cleanPath checks a znode path the way ZooKeeper would reject it, and drops
// a trailing slash ("zk://h/mesos/" names /mesos).
func cleanPath(p string) (string, error) {
	if p != "/" {
		p = strings.TrimSuffix(p, "/")
	}
	if strings.ContainsAny(p, "?#") {
		return "", fmt.Errorf("path %q: query and fragment are not allowed", p)
	}
	if p == "/" {
		return p, nil
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("path %q: empty, . or .. segment", p)
		}
		if strings.ContainsFunc(seg, isControl) || strings.ContainsFunc(seg, unicode.IsSpace) {
			return "", fmt.Errorf("path %q: whitespace or control character", p)
		}
	}
	return p, nil
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// String formats the URL back into zk:// form. Parse(u.String()) == u.
func (u URL) String() string {
	var b strings.Builder
	b.WriteString("zk://")
	if u.Auth != "" {
		b.WriteString(u.Auth)
		b.WriteByte('@')
	}
	b.WriteString(strings.Join(u.Servers, ","))
	if u.Path == "" {
		b.WriteByte('/')
	} else {
		b.WriteString(u.Path)
	}
	return b.String()
}

// Redacted is String with the password replaced, for logs.
func (u URL) Redacted() string {
	if u.Auth != "" {
		user, _, _ := strings.Cut(u.Auth, ":")
		u.Auth = user + ":xxxxx"
	}
	return u.String()
}
