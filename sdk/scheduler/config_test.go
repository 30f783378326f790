package scheduler

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
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
		{in: "zk://z:2181/mesos", err: "ZooKeeper"},
		{in: "ftp://m:21", err: "scheme"},
	} {
		got, err := parseMasters(tc.in)
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
	masters, _ := parseMasters("https://a:1,https://b:2")
	e := newEndpoints(masters)
	from := e.current()
	// Mesos sends a scheme-relative Location.
	to, err := e.redirect(from, "//leader:5050/master/api/v1/scheduler")
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://leader:5050/master/api/v1/scheduler"; to.String() != want || e.current().String() != want {
		t.Fatalf("redirect to %s, current %s, want %s", to, e.current(), want)
	}
	e.failover() // forgets the leader, back to the list
	if e.current().Host != "a:1" {
		t.Fatalf("after losing the leader: %s", e.current())
	}
	e.failover()
	if e.current().Host != "b:2" {
		t.Fatalf("after a second failure: %s", e.current())
	}
	if _, err := e.redirect(&url.URL{Scheme: "http", Host: "a:1"}, ""); err == nil {
		t.Fatal("empty Location accepted")
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
