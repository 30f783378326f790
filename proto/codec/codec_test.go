package codec

import (
	"errors"
	"net/http"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

func TestForContentType(t *testing.T) {
	tests := []struct {
		header string
		want   Codec
		status int
	}{
		{"application/json", JSON, 0},
		{"application/json; charset=utf-8", JSON, 0},
		{"Application/JSON;charset=UTF-8", JSON, 0},
		{"application/x-protobuf", Protobuf, 0},
		{" application/x-protobuf ", Protobuf, 0},
		{"", nil, http.StatusBadRequest},
		{"   ", nil, http.StatusBadRequest},
		{"text/plain", nil, http.StatusUnsupportedMediaType},
		{"application/protobuf", nil, http.StatusUnsupportedMediaType},
		{"application/json+x", nil, http.StatusUnsupportedMediaType},
		{"application/json; charset", nil, http.StatusUnsupportedMediaType},
		{"*/*", nil, http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		got, err := ForContentType(tt.header)
		if got != tt.want {
			t.Errorf("ForContentType(%q) = %v, want %v", tt.header, got, tt.want)
		}
		if got := statusOf(err); got != tt.status {
			t.Errorf("ForContentType(%q) status = %d (%v), want %d", tt.header, got, err, tt.status)
		}
	}
}

func TestForAccept(t *testing.T) {
	tests := []struct {
		header   string
		fallback Codec
		want     Codec
	}{
		{"", Protobuf, Protobuf},
		{"", nil, JSON},
		{"*/*", Protobuf, Protobuf},
		{"*/*", JSON, JSON},
		{"application/*", Protobuf, Protobuf},
		{"application/json", Protobuf, JSON},
		{"application/x-protobuf", JSON, Protobuf},
		{"Application/X-Protobuf", JSON, Protobuf},
		{"application/json;charset=utf-8", Protobuf, JSON},
		{"application/json, application/x-protobuf", Protobuf, Protobuf},
		{"application/x-protobuf, application/json", nil, JSON},
		{"text/html, application/x-protobuf", JSON, Protobuf},
		{"application/x-protobuf, application/json", JSON, JSON},
		{"application/json;q=0.5, application/x-protobuf", JSON, Protobuf},
		{"application/json;q=0.9, application/x-protobuf;q=0.8", Protobuf, JSON},
		{"application/json;q=0, */*", JSON, Protobuf},
		{"*/*;q=0.1, application/json;q=0.5", Protobuf, JSON},
		{"application/*;q=0.2, application/x-protobuf;q=0.1", JSON, JSON},
		{"text/plain, bad;;, application/json", Protobuf, JSON},
		{"application/json;q=abc, application/x-protobuf", JSON, Protobuf},
	}
	for _, tt := range tests {
		got, err := ForAccept(tt.header, tt.fallback)
		if err != nil || got != tt.want {
			t.Errorf("ForAccept(%q, %v) = %v, %v; want %v", tt.header, tt.fallback, got, err, tt.want)
		}
	}
}

func TestForAcceptNotAcceptable(t *testing.T) {
	for _, h := range []string{
		"text/html",
		"application/xml, text/*",
		"application/json;q=0, application/x-protobuf;q=0",
		"*/*;q=0",
		"garbage;;",
	} {
		got, err := ForAccept(h, JSON)
		if got != nil || statusOf(err) != http.StatusNotAcceptable {
			t.Errorf("ForAccept(%q) = %v, %v; want 406", h, got, err)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	_, err := ForContentType("text/plain")
	if err == nil || err.Error() != `unsupported Content-Type "text/plain"; expected application/json or application/x-protobuf` {
		t.Errorf("error = %v", err)
	}
	_, err = ForAccept("text/html", nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != NotAcceptable || e.Header != "text/html" {
		t.Errorf("error = %#v", err)
	}
}

func TestCodecsRoundTrip(t *testing.T) {
	call := &scheduler.Call{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("f-0000")},
		Type:        scheduler.Call_DECLINE.Enum(),
		Decline: &scheduler.Call_Decline{
			OfferIds: []*mesos.OfferID{{Value: proto.String("o1")}},
			Filters:  &mesos.Filters{RefuseSeconds: proto.Float64(60)},
		},
	}
	for _, c := range []Codec{JSON, Protobuf} {
		b, err := c.Marshal(call)
		if err != nil {
			t.Fatal(err)
		}
		appended, err := c.(Appender).AppendMarshal([]byte("x"), call)
		if err != nil || string(appended[1:]) != string(b) {
			t.Errorf("%s: AppendMarshal differs from Marshal", c.MediaType())
		}
		var back scheduler.Call
		if err := c.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", c.MediaType(), err)
		}
		if !proto.Equal(call, &back) {
			t.Errorf("%s: round trip: got %v", c.MediaType(), &back)
		}
	}
	if b, _ := JSON.Marshal(call); string(b) != `{"framework_id":{"value":"f-0000"},"type":"DECLINE","decline":{"offer_ids":[{"value":"o1"}],"filters":{"refuse_seconds":60}}}` {
		t.Errorf("JSON = %s", b)
	}
}

func statusOf(err error) int {
	if err == nil {
		return 0
	}
	var e *Error
	if !errors.As(err, &e) {
		return -1
	}
	return e.HTTPStatus()
}
