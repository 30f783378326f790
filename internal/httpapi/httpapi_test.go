package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/codec"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

func TestDecodeCall(t *testing.T) {
	// subscribe.framework_info is required.
	sub, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(&scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{}})
	cases := []struct {
		name, method, ctype, accept, body string
		partial                           bool
		status                            int
		want                              string
	}{
		{"get", "GET", "application/json", "", `{}`, false, 405, "POST"},
		{"no content type", "POST", "", "", `{}`, false, 400, "Content-Type"},
		{"text/plain", "POST", "text/plain", "", `{}`, false, 415, "text/plain"},
		{"accept html", "POST", "application/json", "text/html", `{}`, false, 406, "text/html"},
		{"too large", "POST", "application/json", "", `{"type":"` + strings.Repeat("x", 100) + `"}`, false, 413, "limit"},
		{"malformed", "POST", "application/json", "", `{"type":`, false, 400, "Failed to parse body into Call"},
		{"partial refused", "POST", "application/x-protobuf", "", string(sub), false, 400, "required"},
		{"partial allowed", "POST", "application/x-protobuf", "application/x-protobuf", string(sub), true, 200, ""},
		{"json answers json", "POST", "application/x-protobuf", "", "", false, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "/", strings.NewReader(c.body))
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			if c.accept != "" {
				r.Header.Set("Accept", c.accept)
			}
			w := httptest.NewRecorder()
			resp, ok := DecodeCall(w, r, &scheduler.Call{}, DecodeOptions{MaxBody: 64, What: "Call", AllowPartial: c.partial})
			if ok {
				w.WriteHeader(http.StatusOK)
			}
			if w.Code != c.status || !strings.Contains(w.Body.String(), c.want) {
				t.Fatalf("%d %q, want %d naming %q", w.Code, w.Body.String(), c.status, c.want)
			}
			if ok && c.accept == "" && resp != codec.JSON {
				t.Errorf("no Accept should answer JSON, got %s", resp.MediaType())
			}
		})
	}
}
