package resources

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// FuzzParse: Parse never panics; what it accepts is valid and normalized;
// text input survives String and Parse, and any input survives the JSON
// form. Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := Parse(s)
		if err != nil {
			return
		}
		if err := Validate(rs); err != nil {
			t.Fatalf("Parse(%q) = %s, which is invalid: %v", s, String(rs), err)
		}
		if !sameList(Normalize(rs), rs) {
			t.Fatalf("Parse(%q) = %s, not normalized", s, String(rs))
		}
		if !strings.HasPrefix(strings.TrimSpace(s), "[") {
			back, err := Parse(String(rs))
			if err != nil {
				t.Fatalf("Parse(String(Parse(%q))) = %q: %v", s, String(rs), err)
			}
			if !Equal(back, rs) {
				t.Fatalf("Parse(%q) = %s, but its String parses to %s", s, String(rs), String(back))
			}
		}
		js := toJSON(t, rs)
		back, err := Parse(js)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, but its JSON %s fails: %v", s, String(rs), js, err)
		}
		if !sameList(back, rs) {
			t.Fatalf("Parse(%q) = %s, but its JSON parses to %s", s, String(rs), String(back))
		}
	})
}

func toJSON(t *testing.T, rs []*mesos.Resource) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		b, err := protojson.Marshal(r)
		if err != nil {
			t.Fatalf("protojson.Marshal(%v): %v", r, err)
		}
		parts[i] = string(b)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
