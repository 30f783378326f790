package resources

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestParseAttributes(t *testing.T) {
	text := func(name, v string) *mesos.Attribute {
		return &mesos.Attribute{Name: proto.String(name), Type: mesos.Value_TEXT.Enum(),
			Text: &mesos.Value_Text{Value: proto.String(v)}}
	}
	scalar := func(name string, v float64) *mesos.Attribute {
		return &mesos.Attribute{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(),
			Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
	}
	ranges := func(name string, b, e uint64) *mesos.Attribute {
		return &mesos.Attribute{Name: proto.String(name), Type: mesos.Value_RANGES.Enum(),
			Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{{Begin: &b, End: &e}}}}
	}
	set := func(name string, items ...string) *mesos.Attribute {
		return &mesos.Attribute{Name: proto.String(name), Type: mesos.Value_SET.Enum(),
			Set: &mesos.Value_Set{Item: items}}
	}
	tests := []struct {
		in   string
		want []*mesos.Attribute
	}{
		{"", []*mesos.Attribute{}},
		{"rack:r1;zone:us-east-1a;level:3;ports:[1-10];tags:{a,b}", []*mesos.Attribute{
			text("rack", "r1"), text("zone", "us-east-1a"), scalar("level", 3),
			ranges("ports", 1, 10), set("tags", "a", "b")}},
		// Newlines separate too; only the first ':' splits, so URLs survive.
		{"url:http://x:80/a\nweight:-1.5", []*mesos.Attribute{text("url", "http://x:80/a"), scalar("weight", -1.5)}},
		// Numbers are decimal only; everything else is text.
		{"a:0x10;b:nan;c:1.2.3;d:inf", []*mesos.Attribute{text("a", "0x10"), text("b", "nan"), text("c", "1.2.3"), text("d", "inf")}},
		// Spaces inside values are dropped, as Mesos does.
		{" rack : r 1 ; ports:[1-5, 6-10]", []*mesos.Attribute{text("rack", "r1"), ranges("ports", 1, 10)}},
		// Duplicates are kept: attributes are a list, not a map.
		{"a:1;a:x", []*mesos.Attribute{scalar("a", 1), text("a", "x")}},
	}
	for _, tt := range tests {
		got, err := ParseAttributes(tt.in)
		if err != nil {
			t.Errorf("ParseAttributes(%q): %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) || got == nil {
			t.Errorf("ParseAttributes(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if !proto.Equal(got[i], tt.want[i]) {
				t.Errorf("ParseAttributes(%q)[%d] = %v, want %v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestParseAttributesErrors(t *testing.T) {
	for _, in := range []string{"rack", "rack:r1;zone", ":x", "rack:", "p:[1-x]", "s:{a,a}", "t:a[b"} {
		_, err := ParseAttributes(in)
		if err == nil {
			t.Errorf("ParseAttributes(%q) succeeded, want an error", in)
			continue
		}
		last := in[strings.LastIndex(in, ";")+1:]
		if !strings.Contains(err.Error(), last) {
			t.Errorf("ParseAttributes(%q) error %q does not name %q", in, err, last)
		}
	}
}
