package resources

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// ParseAttributes reads the Mesos agent's --attributes flag:
// "rack:r1;zone:us-east-1a;level:3;ports:[1-10];tags:{a,b}". Items are
// separated by ';' or newlines and split at their first ':', so text values
// may contain colons. A number becomes a SCALAR, [a-b,...] RANGES, {x,...}
// a SET, anything else TEXT. Whitespace inside values is dropped, as in
// Mesos. The error names the offending item.
func ParseAttributes(s string) ([]*mesos.Attribute, error) {
	out := []*mesos.Attribute{}
	items := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' })
	for _, tok := range items {
		if strings.TrimSpace(tok) == "" {
			continue
		}
		a, err := parseAttribute(tok)
		if err != nil {
			return nil, fmt.Errorf("attributes: %q: %w", strings.TrimSpace(tok), err)
		}
		out = append(out, a)
	}
	return out, nil
}

func parseAttribute(tok string) (*mesos.Attribute, error) {
	name, val, ok := strings.Cut(tok, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return nil, fmt.Errorf("want name:value")
	}
	v, err := parseValue(val)
	if err != nil {
		return nil, err
	}
	a := &mesos.Attribute{Name: proto.String(name), Type: v.typ.Enum()}
	switch v.typ {
	case mesos.Value_SCALAR:
		a.Scalar = &mesos.Value_Scalar{Value: proto.Float64(v.scalar)}
	case mesos.Value_RANGES:
		a.Ranges = toRanges(v.spans)
	case mesos.Value_SET:
		a.Set = &mesos.Value_Set{Item: v.items}
	default:
		a.Text = &mesos.Value_Text{Value: proto.String(v.text)}
	}
	return a, nil
}
