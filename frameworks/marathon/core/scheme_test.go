package core

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// The leader's URL carries the scheme the replicas serve with, so a
// standby proxies to an https leader over https.
func TestLeaderURLCarriesScheme(t *testing.T) {
	m := newMaster(t, sdktest.Options{})
	for _, tt := range []struct{ scheme, want string }{
		{"", "http://m1:8080"},
		{"https", "https://m1:8080"},
	} {
		c, err := New(Config{Master: m.URL(), Store: store.NewMemory(), Clock: sdktest.NewClock(epoch),
			Advertise: "m1:8080", Scheme: tt.scheme})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.LeaderURL(); ok {
			t.Errorf("scheme %q: a leader before leading", tt.scheme)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		deadline := time.After(10 * time.Second)
		for {
			changed := c.Changed() // before the check, so no change is missed
			if c.IsLeader() {
				break
			}
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("scheme %q: not leading after 10s", tt.scheme)
			}
		}
		if u, ok := c.LeaderURL(); !ok || u != tt.want {
			t.Errorf("scheme %q: LeaderURL %q %v, want %q", tt.scheme, u, ok, tt.want)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	_, err := New(Config{Master: m.URL(), Store: store.NewMemory(), Scheme: "ftp"})
	if err == nil || !strings.Contains(err.Error(), `Scheme "ftp"`) {
		t.Errorf("scheme ftp: %v", err)
	}
}
