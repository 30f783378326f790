package dag_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/agoraproject/agora/frameworks/chronos/dag"
)

func TestCycles(t *testing.T) {
	for _, tc := range []struct {
		name string
		jobs map[string][]string
		want string // "" = no cycle
	}{
		{"empty", nil, ""},
		{"chain", map[string][]string{"a": nil, "b": {"a"}, "c": {"b"}}, ""},
		{"diamond", map[string][]string{"a": nil, "b": {"a"}, "c": {"a"}, "d": {"b", "c"}}, ""},
		{"two", map[string][]string{"a": {"b"}, "b": {"a"}}, "a -> b -> a"},
		{"three behind a root", map[string][]string{"r": nil, "x": {"r", "z"}, "y": {"x"}, "z": {"y"}}, "x -> y -> z -> x"},
		{"missing parent ignored", map[string][]string{"a": {"gone"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := dag.New(tc.jobs).FindCycle()
			var ce *dag.CycleError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("FindCycle = %v", err)
			case tc.want != "" && (!errors.As(err, &ce) || !strings.HasSuffix(err.Error(), tc.want)):
				t.Fatalf("FindCycle = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOrderPutsParentsFirst(t *testing.T) {
	g := dag.New(map[string][]string{"d": {"b", "c"}, "c": {"a"}, "b": {"a"}, "a": nil, "e": nil})
	if got, want := g.Order(), []string{"a", "b", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Fatalf("Order = %v, want %v", got, want)
	}
	if got := g.Children("a"); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("Children(a) = %v", got)
	}
	dot := g.Dot(func(string) string { return "white" })
	if !strings.Contains(dot, `"a" -> "b";`) || !strings.HasPrefix(dot, "digraph G {") {
		t.Fatalf("dot:\n%s", dot)
	}
}

func TestChildRunsAfterEveryParentSucceeded(t *testing.T) {
	g := dag.New(map[string][]string{"a": nil, "b": nil, "c": {"a", "b"}})
	p := dag.Progress{}
	if ready := p.Succeeded(g, "a"); len(ready) != 0 {
		t.Fatalf("c ready after a alone: %v", ready)
	}
	if ready := p.Succeeded(g, "a"); len(ready) != 0 {
		t.Fatalf("a twice made c ready: %v", ready)
	}
	if ready := p.Succeeded(g, "b"); !slices.Equal(ready, []string{"c"}) {
		t.Fatalf("after a and b: ready %v, want [c]", ready)
	}
	p.Started("c")
	if p.Ready(g, "c") {
		t.Fatal("c still ready after it started")
	}
	if ready := p.Succeeded(g, "b"); len(ready) != 0 {
		t.Fatalf("b alone made c ready again: %v", ready)
	}
}

func TestDeletedParentNoLongerGates(t *testing.T) {
	jobs := map[string][]string{"a": nil, "b": nil, "c": {"a", "b"}}
	p := dag.Progress{}
	p.Succeeded(dag.New(jobs), "a")
	delete(jobs, "b")
	p.Forget("b")
	g := dag.New(jobs)
	if !p.Ready(g, "c") {
		t.Fatal("c not ready though its only remaining parent a succeeded")
	}
	delete(jobs, "a")
	p.Forget("a")
	g = dag.New(jobs)
	if p.Ready(g, "c") {
		t.Fatal("c with no parents left is ready by itself")
	}
}
