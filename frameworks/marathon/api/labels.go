package api

import (
	"fmt"
	"strings"
)

// labelSelector is a parsed ?label= filter of GET /v2/apps: every term must
// hold. Marathon's grammar:
//
//	selectors := selector ("," selector)*
//	selector  := key | key "==" value | key "!=" value
//	           | key "in" "(" value ("," value)* ")" | key "notin" "(" ... ")"
//
// Keys and values are runs of letters, digits, '-', '_' and '.'; any other
// character is written escaped with a backslash.
type labelSelector []labelTerm

type labelTerm struct {
	key    string
	op     string // "exists", "==", "!=", "in", "notin"
	values []string
}

// matches reports whether labels satisfy every term. Like Marathon, a term
// on a key the app does not have never holds, "!=" included.
func (s labelSelector) matches(labels map[string]string) bool {
	for _, t := range s {
		v, ok := labels[t.key]
		if !ok {
			return false
		}
		switch t.op {
		case "==":
			ok = v == t.values[0]
		case "!=":
			ok = v != t.values[0]
		case "in":
			ok = contains(t.values, v)
		case "notin":
			ok = !contains(t.values, v)
		}
		if !ok {
			return false
		}
	}
	return true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// parseLabelSelector parses a ?label= value.
func parseLabelSelector(s string) (labelSelector, error) {
	p := &selectorParser{in: s}
	var out labelSelector
	for {
		t, err := p.selector()
		if err != nil {
			return nil, fmt.Errorf("invalid label selector %q: %v", s, err)
		}
		out = append(out, t)
		p.space()
		if p.done() {
			return out, nil
		}
		if !p.eat(",") {
			return nil, fmt.Errorf("invalid label selector %q: expected ',' at offset %d", s, p.pos)
		}
	}
}

type selectorParser struct {
	in  string
	pos int
}

func (p *selectorParser) done() bool { return p.pos >= len(p.in) }

func (p *selectorParser) space() {
	for !p.done() && (p.in[p.pos] == ' ' || p.in[p.pos] == '\t') {
		p.pos++
	}
}

func (p *selectorParser) eat(tok string) bool {
	p.space()
	if strings.HasPrefix(p.in[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

// word eats a keyword that must be followed by a space or '('.
func (p *selectorParser) word(w string) bool {
	p.space()
	rest := p.in[p.pos:]
	if !strings.HasPrefix(rest, w) {
		return false
	}
	if len(rest) > len(w) && rest[len(w)] != ' ' && rest[len(w)] != '(' && rest[len(w)] != '\t' {
		return false
	}
	p.pos += len(w)
	return true
}

func termByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

func (p *selectorParser) term(what string) (string, error) {
	p.space()
	var b strings.Builder
	for !p.done() {
		c := p.in[p.pos]
		switch {
		case c == '\\':
			if p.pos+1 >= len(p.in) {
				return "", fmt.Errorf("dangling '\\' at offset %d", p.pos)
			}
			b.WriteByte(p.in[p.pos+1])
			p.pos += 2
			continue
		case termByte(c):
			b.WriteByte(c)
			p.pos++
			continue
		}
		break
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("expected a %s at offset %d", what, p.pos)
	}
	return b.String(), nil
}

func (p *selectorParser) selector() (labelTerm, error) {
	key, err := p.term("label key")
	if err != nil {
		return labelTerm{}, err
	}
	switch {
	case p.eat("=="), p.eat("!="):
		op := p.in[p.pos-2 : p.pos]
		v, err := p.term("label value")
		if err != nil {
			return labelTerm{}, err
		}
		return labelTerm{key: key, op: op, values: []string{v}}, nil
	case p.word("notin"):
		return p.set(key, "notin")
	case p.word("in"):
		return p.set(key, "in")
	}
	return labelTerm{key: key, op: "exists"}, nil
}

func (p *selectorParser) set(key, op string) (labelTerm, error) {
	if !p.eat("(") {
		return labelTerm{}, fmt.Errorf("expected '(' after %q at offset %d", op, p.pos)
	}
	t := labelTerm{key: key, op: op}
	for {
		v, err := p.term("label value")
		if err != nil {
			return labelTerm{}, err
		}
		t.values = append(t.values, v)
		if p.eat(")") {
			return t, nil
		}
		if !p.eat(",") {
			return labelTerm{}, fmt.Errorf("expected ',' or ')' at offset %d", p.pos)
		}
	}
}
