package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/agoraproject/agora/internal/pki"
)

// frameworkTLSFlags are how the bundled frameworks serve their REST APIs
// over HTTPS. Without them the API is plain HTTP, as in `agora dev`.
type frameworkTLSFlags struct {
	cert, key string
}

func bindFrameworkTLSFlags(fs *flag.FlagSet) *frameworkTLSFlags {
	f := &frameworkTLSFlags{}
	fs.StringVar(&f.cert, "tls_cert", "", "PEM certificate the REST API serves HTTPS with (default: plain HTTP); other replicas reach the leader over https then")
	fs.StringVar(&f.key, "tls_key", "", "PEM private key of --tls_cert")
	return f
}

// serving resolves the flags into the options of the master's serving
// path and the scheme the API is reached by ("http" or "https"). The pair
// is read once, at start: rotating it takes a restart.
func (f *frameworkTLSFlags) serving() (serveOptions, string, error) {
	if f == nil || (f.cert == "" && f.key == "") {
		return serveOptions{}, "http", nil
	}
	if f.cert == "" || f.key == "" {
		return serveOptions{}, "", fmt.Errorf("--tls_cert and --tls_key go together")
	}
	// The master's loader: with tlsCert set it reads the pair and needs no CA.
	certs, err := servingCertificate(&securityFlags{tlsCert: f.cert, tlsKey: f.key}, nil, pki.Config{}, "", nil, time.Time{})
	if err != nil {
		return serveOptions{}, "", err
	}
	cfg := pki.ServerConfig(certs, nil, nil)
	// Frameworks' clients (browsers, CLIs, other replicas) are
	// authenticated by no certificate; asking for one would only make
	// browsers prompt.
	cfg.ClientAuth = tls.NoClientCert
	return serveOptions{tls: cfg}, "https", nil
}

// withScheme rewrites the scheme of a leader URL ("http://host:port")
// to this replica's own: replicas of one framework serve alike.
func withScheme(scheme string, leaderURL func() (string, bool)) func() (string, bool) {
	return func() (string, bool) {
		u, ok := leaderURL()
		if !ok {
			return u, ok
		}
		if _, rest, found := strings.Cut(u, "://"); found {
			u = rest
		}
		return scheme + "://" + u, true
	}
}
