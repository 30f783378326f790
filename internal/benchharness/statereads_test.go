package benchharness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadStatesTimesEachKindColdThenSteady serves the three reads with a
// slow first answer per endpoint and checks what readStates reports.
func TestReadStatesTimesEachKindColdThenSteady(t *testing.T) {
	var stateReads, operatorReads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/master/state" && r.Method == http.MethodGet:
			if stateReads.Add(1) == 1 {
				time.Sleep(50 * time.Millisecond) // the cold read
			}
			w.Write([]byte(`{"frameworks":[]}`))
		case r.URL.Path == "/api/v1" && r.Method == http.MethodPost:
			operatorReads.Add(1)
			if !strings.Contains(r.Header.Get("Accept"), "json") && !strings.Contains(r.Header.Get("Accept"), "protobuf") {
				http.Error(w, "accept", http.StatusNotAcceptable)
				return
			}
			w.Write([]byte("0123456789"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	reads, err := readStates(context.Background(), srv.Client(), strings.TrimPrefix(srv.URL, "http://"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) != 3 || reads[0].Name != "/master/state" {
		t.Fatalf("reads = %+v", reads)
	}
	if stateReads.Load() != 4 || operatorReads.Load() != 8 {
		t.Errorf("requests: state %d, operator %d; want 4 and 8", stateReads.Load(), operatorReads.Load())
	}
	if reads[0].Cold < 50*time.Millisecond || reads[0].Steady >= 50*time.Millisecond {
		t.Errorf("/master/state cold %v steady %v", reads[0].Cold, reads[0].Steady)
	}
	if reads[1].ResponseBytes != 10 {
		t.Errorf("response bytes = %d, want 10", reads[1].ResponseBytes)
	}
}

func TestReadStatesFailsOnAnErrorStatus(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := readStates(context.Background(), srv.Client(), strings.TrimPrefix(srv.URL, "http://"), 1)
	if err == nil || !strings.Contains(err.Error(), "/master/state") || !strings.Contains(err.Error(), "404") {
		t.Errorf("err = %v", err)
	}
}
