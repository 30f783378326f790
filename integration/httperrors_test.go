package integration

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode"
)

// TestSchedulerHTTPErrors checks the status codes a client gets for broken
// requests, each with a message a human can read.
func TestSchedulerHTTPErrors(t *testing.T) {
	m := startMaster(t, "--max_request_body_bytes=1024")
	subscribeBody := `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"errors"}}}`
	huge := `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"` + strings.Repeat("x", 2048) + `"}}}`

	cases := []struct {
		name, method, contentType, accept, streamID, body string
		want                                              int
		mention                                           string // the message mentions this (case-insensitive)
	}{
		{"GET", http.MethodGet, "", "", "", "", http.StatusMethodNotAllowed, "POST"},
		{"text/plain", http.MethodPost, "text/plain", "", "", subscribeBody, http.StatusUnsupportedMediaType, "Content-Type"},
		{"no Content-Type", http.MethodPost, "", "", "", subscribeBody, http.StatusBadRequest, "Content-Type"},
		{"Accept text/html", http.MethodPost, "application/json", "text/html", "", subscribeBody, http.StatusNotAcceptable, "Accept"},
		{"malformed JSON", http.MethodPost, "application/json", "", "", `{"type":"SUBSCRIBE",`, http.StatusBadRequest, "pars"},
		{"no Mesos-Stream-Id", http.MethodPost, "application/json", "", "", `{"type":"TEARDOWN","framework_id":{"value":"x"}}`, http.StatusBadRequest, "Mesos-Stream-Id"},
		{"body over the limit", http.MethodPost, "application/json", "", "", huge, http.StatusRequestEntityTooLarge, "limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, m.url+"/api/v1/scheduler", strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			if c.accept != "" {
				req.Header.Set("Accept", c.accept)
			}
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.want {
				t.Errorf("status = %s, want %d (body %q)", resp.Status, c.want, msg)
			}
			if !readable(string(msg)) {
				t.Errorf("body %q is not a human-readable message", msg)
			}
			if !strings.Contains(strings.ToLower(string(msg)), strings.ToLower(c.mention)) {
				t.Errorf("message %q does not mention %q", msg, c.mention)
			}
		})
	}
}

// readable reports whether s looks like a sentence: some words of letters,
// no control characters other than newlines.
func readable(s string) bool {
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsControl(r) && r != '\n':
			return false
		}
	}
	return letters >= 10 && strings.Contains(strings.TrimSpace(s), " ")
}
