package resources

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// value is a parsed value of the text syntax shared by --resources and
// --attributes: "4", "[1-10,20-30]", "{a,b}" or, for attributes, text.
type value struct {
	typ    mesos.Value_Type
	scalar float64
	spans  []span
	items  []string
	text   string
}

// parseValue reads one value. Whitespace anywhere is dropped, as Mesos
// does, so "[1-2, 4-5]" and "[1-2,4-5]" are the same value.
func parseValue(s string) (value, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	switch {
	case s == "":
		return value{}, errors.New("empty value")
	case s[0] == '[':
		spans, err := parseSpans(s)
		return value{typ: mesos.Value_RANGES, spans: spans}, err
	case s[0] == '{':
		items, err := parseItems(s)
		return value{typ: mesos.Value_SET, items: items}, err
	case strings.ContainsAny(s, "[]{}"):
		return value{}, fmt.Errorf("unexpected bracket in %q", s)
	}
	if v, ok := parseDecimal(s); ok {
		return value{typ: mesos.Value_SCALAR, scalar: v}, nil
	}
	return value{typ: mesos.Value_TEXT, text: s}, nil
}

// parseDecimal accepts plain decimal notation only ("2", "0.5", "1e3",
// "-3"), not the hex floats, "Inf" or "NaN" that strconv also knows, so
// that text such as "nan" or "0x1p3" stays text.
func parseDecimal(s string) (float64, bool) {
	digits := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// parseSpans reads "[a-b,c-d]". Empty elements are skipped as Mesos skips
// them, so a trailing comma in an existing flag keeps working.
func parseSpans(s string) ([]span, error) {
	if !strings.HasSuffix(s, "]") || strings.Count(s, "[") != 1 || strings.Count(s, "]") != 1 {
		return nil, fmt.Errorf("ranges %q: want [begin-end,...]", s)
	}
	var out []span
	for _, part := range strings.Split(s[1:len(s)-1], ",") {
		if part == "" {
			continue
		}
		lo, hi, ok := strings.Cut(part, "-")
		b, err1 := strconv.ParseUint(lo, 10, 64)
		e, err2 := strconv.ParseUint(hi, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("range %q: want two non-negative integers begin-end", part)
		}
		if b > e {
			return nil, fmt.Errorf("range %q begins after it ends", part)
		}
		out = append(out, span{b, e})
	}
	return coalesce(out), nil
}

// parseItems reads "{a,b}". Duplicates are an error, as in Mesos, because
// they usually mean a typo in a device or zone list.
func parseItems(s string) ([]string, error) {
	if !strings.HasSuffix(s, "}") || strings.ContainsAny(s[1:len(s)-1], "[]{}()") {
		return nil, fmt.Errorf("set %q: want {item,...}", s)
	}
	out := []string{}
	for _, item := range strings.Split(s[1:len(s)-1], ",") {
		if item != "" {
			out = append(out, item)
		}
	}
	if x, dup := firstDuplicate(out); dup {
		return nil, fmt.Errorf("set %q: item %q appears twice", s, x)
	}
	return out, nil
}
