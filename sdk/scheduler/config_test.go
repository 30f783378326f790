package scheduler

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

func TestParseMasters(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "127.0.0.1:5050", want: []string{"http://127.0.0.1:5050/api/v1/scheduler"}},
		{in: "http://m:5050/", want: []string{"http://m:5050/api/v1/scheduler"}},
		{in: "https://m/master", want: []string{"https://m/master/api/v1/scheduler"}},
		{in: "m1:5050/api/v1/scheduler", want: []string{"http://m1:5050/api/v1/scheduler"}},
		{in: " a:1 , b:2,", want: []string{"http://a:1/api/v1/scheduler", "http://b:2/api/v1/scheduler"}},
		{in: "", err: "Master is required"},
		{in: "zk://", err: "zk url"},
		{in: "a:1,zk://z:2181/mesos", err: "only master"},
		{in: "ftp://m:21", err: "scheme"},
	} {
		got, _, err := parseMasters(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseMasters(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseMasters(%q): %v", tc.in, err)
			continue
		}
		var s []string
		for _, u := range got {
			s = append(s, u.String())
		}
		if strings.Join(s, " ") != strings.Join(tc.want, " ") {
			t.Errorf("parseMasters(%q) = %v, want %v", tc.in, s, tc.want)
		}
	}
}

func TestRedirectAndFailover(t *testing.T) {
	masters, _, _ := parseMasters("https://a:1,https://b:2")
	e := newEndpoints(masters)
	from := cur(t, e)
	// Mesos sends a scheme-relative Location.
	to, err := e.redirect(from, "//leader:5050/master/api/v1/scheduler")
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://leader:5050/master/api/v1/scheduler"; to.String() != want || cur(t, e).String() != want {
		t.Fatalf("redirect to %s, current %s, want %s", to, cur(t, e), want)
	}
	e.failover() // forgets the leader, back to the list
	if cur(t, e).Host != "a:1" {
		t.Fatalf("after losing the leader: %s", cur(t, e))
	}
	e.failover()
	if cur(t, e).Host != "b:2" {
		t.Fatalf("after a second failure: %s", cur(t, e))
	}
	if _, err := e.redirect(&url.URL{Scheme: "http", Host: "a:1"}, ""); err == nil {
		t.Fatal("empty Location accepted")
	}
}

func cur(t *testing.T, e *endpoints) *url.URL {
	t.Helper()
	u, err := e.current()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestZKMasterFollowsDetectedLeader(t *testing.T) {
	masters, zk, err := parseMasters(" zk://z1:2181,z2:2181/agora ")
	if err != nil || masters != nil || zk != "zk://z1:2181,z2:2181/agora" {
		t.Fatalf("parseMasters(zk) = %v, %q, %v", masters, zk, err)
	}
	e := newDetectedEndpoints(false)
	if _, err := e.current(); err != ErrNoLeader {
		t.Fatalf("before detection: %v, want ErrNoLeader", err)
	}
	e.setDetected(&url.URL{Scheme: "http", Host: "10.0.0.1:5050"})
	if got := cur(t, e).String(); got != "http://10.0.0.1:5050/api/v1/scheduler" {
		t.Fatalf("detected leader: %s", got)
	}
	select {
	case <-e.changed:
	default:
		t.Fatal("a detected leader did not signal a change")
	}
	e.failover() // nothing to rotate through: still the detected leader
	if got := cur(t, e).Host; got != "10.0.0.1:5050" {
		t.Fatalf("after failover: %s", got)
	}
	e.setDetected(nil)
	if _, err := e.current(); err != ErrNoLeader {
		t.Fatalf("leader gone: %v, want ErrNoLeader", err)
	}
}

// A framework's own TLS transport makes a bare host:port master https, as
// Config.TLS does; an explicit scheme is kept.
func TestTLSTransportMakesMastersHTTPS(t *testing.T) {
	tlsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}
	for _, tc := range []struct {
		client *http.Client
		master string
		want   []string
	}{
		{tlsClient, "m1:5050,http://m2:5050", []string{"https://m1:5050/api/v1/scheduler", "http://m2:5050/api/v1/scheduler"}},
		{&http.Client{Transport: &http.Transport{}}, "m1:5050", []string{"http://m1:5050/api/v1/scheduler"}},
	} {
		cfg := Config{Master: tc.master, HTTPClient: tc.client}.WithDefaults()
		masters, _, err := parseMasters(cfg.Master)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range masters {
			got = append(got, u.String())
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("masters %q: %v, want %v", tc.master, got, tc.want)
		}
	}
}

// A client configured for TLS reaches a leader found in ZooKeeper over
// https, whether through Config.TLS or a TLS transport of its own.
func TestZKMasterOverTLS(t *testing.T) {
	for name, cfg := range map[string]Config{
		"plain":      {},
		"h2 only":    {HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{NextProtos: []string{"h2"}}}}},
		"Config.TLS": {TLS: &TLS{InsecureSkipVerify: true}},
		"transport":  {HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}},
		"credential": {TLS: &TLS{}, Credential: &Credential{Principal: "p", Secret: "s"}},
	} {
		cfg.Master = "zk://z1:2181/agora"
		cfg.Framework = &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("n")}
		c, err := New(cfg, HandlerFunc(func(context.Context, *Client, *schedpb.Event) error { return nil }))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.ep.setDetected(&url.URL{Scheme: "http", Host: "10.0.0.1:5050"})
		want := "https"
		if name == "plain" || name == "h2 only" {
			want = "http"
		}
		if got := cur(t, c.ep).Scheme; got != want {
			t.Errorf("%s: detected leader reached over %s, want %s", name, got, want)
		}
	}
}

func TestBackoffDoublesWithJitterAndCaps(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second, rand: rand.New(rand.NewPCG(1, 2))}
	for i, ceil := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		ceil *= time.Millisecond
		d := b.next()
		if d < ceil/2 || d > ceil {
			t.Fatalf("attempt %d: %v, want in [%v, %v]", i, d, ceil/2, ceil)
		}
	}
	b.reset()
	if d := b.next(); d > 100*time.Millisecond {
		t.Fatalf("after reset: %v", d)
	}
}

func TestConfigValidate(t *testing.T) {
	fw := func() *mesos.FrameworkInfo {
		return &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("n")}
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{"ok", Config{Master: "m:5050", Framework: fw()}, ""},
		{"no master", Config{Framework: fw()}, "Master is required"},
		{"no framework", Config{Master: "m:5050"}, "Framework is required"},
		{"no user", Config{Master: "m:5050", Framework: &mesos.FrameworkInfo{Name: proto.String("n")}}, "user is required"},
		{"inverted backoff", Config{Master: "m:5050", Framework: fw(), MinBackoff: time.Minute, MaxBackoff: time.Second}, "backoff"},
	} {
		err := tc.cfg.Validate()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: Validate() = %v, want %q", tc.name, err, tc.err)
		}
	}
	d := Config{}.WithDefaults()
	if d.Codec.MediaType() != "application/x-protobuf" || d.MinBackoff != DefaultMinBackoff || d.Logger == nil || d.Clock == nil {
		t.Fatalf("defaults: %+v", d)
	}
}
