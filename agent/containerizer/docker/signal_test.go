package docker

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// TestSignalsDoNotBlock: Terminate and Kill return at once even when the
// engine takes its time to answer, and the signals still reach it, in
// order.
func TestSignalsDoNotBlock(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var got []string
	arrived := make(chan struct{}, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/kill") {
			w.Header().Set("Api-Version", "1.41")
			w.WriteHeader(http.StatusOK)
			return
		}
		mu.Lock()
		got = append(got, r.URL.Query().Get("signal"))
		mu.Unlock()
		arrived <- struct{}{}
		<-release // a slow engine
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	defer close(release)
	d, err := New(Config{Logger: testLogger(), WorkDir: t.TempDir(), Host: "tcp://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := d.newContainer("c1", "0123456789abcdef", &createSpec{config: &container.Config{}}, outputs{})
	start := time.Now()
	if err := c.Terminate(); err != nil {
		t.Fatal(err)
	}
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Terminate and Kill took %v with a slow engine", d)
	}
	<-arrived
	release <- struct{}{}
	<-arrived
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != "TERM" || got[1] != "KILL" {
		t.Errorf("engine got signals %q, want TERM then KILL", got)
	}
}
