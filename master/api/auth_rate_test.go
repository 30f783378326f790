package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestBucketsRefillAtTheRate(t *testing.T) {
	b := newBuckets(RateLimit{Rate: 2, Burst: 3})
	t0 := time.Unix(1_700_000_000, 0)
	for i := 0; i < 3; i++ {
		if ok, _ := b.take("a", t0); !ok {
			t.Fatalf("take %d of the burst refused", i)
		}
	}
	ok, wait := b.take("a", t0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("fourth take = %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := b.take("b", t0); !ok {
		t.Fatal("another key shares a's bucket")
	}
	if ok, _ := b.take("a", t0.Add(500*time.Millisecond)); !ok {
		t.Fatal("a token did not come back after 1/rate")
	}
	if ok, _ := b.take("a", t0.Add(500*time.Millisecond)); ok {
		t.Fatal("more than one token came back")
	}
}

// Subscriptions beyond the burst get 429 with Retry-After; calls on an
// open stream (Mesos-Stream-Id) and other endpoints are not limited.
func TestSubscribeLimiter(t *testing.T) {
	l := newSubscribeLimiter(RateLimit{Rate: 1, Burst: 2}, RateLimit{})
	now := time.Unix(1_700_000_000, 0)
	l.now = func() time.Time { return now }
	h := l.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	do := func(path, streamID string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, nil)
		if streamID != "" {
			r.Header.Set("Mesos-Stream-Id", streamID)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := 0; i < 2; i++ {
		if w := do("/api/v1/scheduler", ""); w.Code != 200 {
			t.Fatalf("subscribe %d: %d", i, w.Code)
		}
	}
	w := do("/api/v1/scheduler", "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("third subscribe: %d Retry-After %q, want 429 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	if w := do("/api/v1/scheduler", "stream"); w.Code != 200 {
		t.Errorf("a call on an open stream: %d", w.Code)
	}
	for i := 0; i < 10; i++ {
		if w := do(agentPath, ""); w.Code != 200 {
			t.Fatalf("agent subscribe without an agent limit: %d", w.Code)
		}
	}
	now = now.Add(time.Second)
	if w := do("/api/v1/scheduler", ""); w.Code != 200 {
		t.Errorf("after a second: %d", w.Code)
	}
}
