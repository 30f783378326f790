package api

import (
	"reflect"
	"testing"
)

func TestParseLabelSelector(t *testing.T) {
	cases := []struct {
		in   string
		want labelSelector
	}{
		{"tier", labelSelector{{key: "tier", op: "exists"}}},
		{"tier==web", labelSelector{{key: "tier", op: "==", values: []string{"web"}}}},
		{" tier != web ", labelSelector{{key: "tier", op: "!=", values: []string{"web"}}}},
		{"tier in (a, b,c)", labelSelector{{key: "tier", op: "in", values: []string{"a", "b", "c"}}}},
		{"tier notin(a)", labelSelector{{key: "tier", op: "notin", values: []string{"a"}}}},
		{"a,b==1,c in (x)", labelSelector{{key: "a", op: "exists"}, {key: "b", op: "==", values: []string{"1"}}, {key: "c", op: "in", values: []string{"x"}}}},
		{`my\ key==v\,1`, labelSelector{{key: "my key", op: "==", values: []string{"v,1"}}}},
		{"index", labelSelector{{key: "index", op: "exists"}}}, // a key starting with "in"
		{"inx==1", labelSelector{{key: "inx", op: "==", values: []string{"1"}}}},
	}
	for _, c := range cases {
		got, err := parseLabelSelector(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q → %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", ",", "a==", "a in", "a in (", "a in ()", "a in (b", "a b", "a==b c", `a\`, "a,"} {
		if got, err := parseLabelSelector(bad); err == nil {
			t.Errorf("%q parsed as %+v, want an error", bad, got)
		}
	}
}

func TestLabelSelectorMatches(t *testing.T) {
	labels := map[string]string{"tier": "web", "env": "prod"}
	cases := map[string]bool{
		"tier": true, "nope": false, "tier==web": true, "tier==db": false,
		"tier!=db": true, "tier!=web": false, "nope!=x": false,
		"tier in (db, web)": true, "tier in (db)": false, "tier notin (db)": true, "tier notin (web)": false,
		"tier==web,env==prod": true, "tier==web,env==dev": false,
	}
	for sel, want := range cases {
		s, err := parseLabelSelector(sel)
		if err != nil {
			t.Fatalf("%q: %v", sel, err)
		}
		if got := s.matches(labels); got != want {
			t.Errorf("%q matches = %v, want %v", sel, got, want)
		}
	}
}

func FuzzParseLabelSelector(f *testing.F) {
	for _, s := range []string{"a", "a==b", "a!=b", "a in (b,c)", "a notin (b)", `a\ b==c\,d`, "a,b,c", "in in (in)", "(", `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := parseLabelSelector(s)
		if err != nil {
			return
		}
		if len(sel) == 0 {
			t.Fatalf("%q parsed to an empty selector", s)
		}
		for _, term := range sel {
			if term.key == "" {
				t.Fatalf("%q: empty key", s)
			}
			if term.op != "exists" && len(term.values) == 0 {
				t.Fatalf("%q: %s without values", s, term.op)
			}
			sel.matches(map[string]string{term.key: "x"})
		}
	})
}
