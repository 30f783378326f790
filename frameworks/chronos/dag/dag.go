// Package dag is the dependency graph of Chronos jobs: who depends on whom,
// cycle detection, and the progress rule "a dependent job runs once every
// one of its parents has succeeded since the job's own last run".
//
// It is pure: a Graph is built from the jobs' parent lists, and Progress
// is plain data the caller persists. It knows nothing of schedules or of
// how a run is launched.
package dag

import (
	"fmt"
	"slices"
	"strings"
)

// Graph maps each job to its parents and children. Parents that name no
// job in the graph are ignored (a deleted parent no longer gates anyone).
type Graph struct {
	parents  map[string][]string
	children map[string][]string
}

// New builds the graph of jobs, given as job name → parent names.
func New(jobs map[string][]string) *Graph {
	g := &Graph{parents: map[string][]string{}, children: map[string][]string{}}
	for name, ps := range jobs {
		var kept []string
		for _, p := range ps {
			if _, ok := jobs[p]; ok {
				kept = append(kept, p)
				g.children[p] = append(g.children[p], name)
			}
		}
		g.parents[name] = kept
	}
	for _, cs := range g.children {
		slices.Sort(cs)
	}
	return g
}

// Parents of name that exist.
func (g *Graph) Parents(name string) []string { return g.parents[name] }

// Children of name, sorted.
func (g *Graph) Children(name string) []string { return g.children[name] }

// Has reports whether name is a job of the graph.
func (g *Graph) Has(name string) bool { _, ok := g.parents[name]; return ok }

// CycleError names the jobs of a dependency cycle, in order.
type CycleError struct{ Cycle []string }

func (e *CycleError) Error() string {
	return "dependency cycle: " + strings.Join(append(e.Cycle, e.Cycle[0]), " -> ")
}

// FindCycle returns a cycle of the graph as a *CycleError, or nil. Of the
// jobs in the cycle the first listed is the smallest name, so the error is
// the same every time.
func (g *Graph) FindCycle() error {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	names := make([]string, 0, len(g.parents))
	for n := range g.parents {
		names = append(names, n)
	}
	slices.Sort(names)
	var stack []string
	var found []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		ps := slices.Clone(g.parents[n])
		slices.Sort(ps)
		for _, p := range ps {
			switch color[p] {
			case grey:
				i := slices.Index(stack, p)
				found = slices.Clone(stack[i:])
				return true
			case white:
				if visit(p) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range names {
		if color[n] == white && visit(n) {
			// Rotate so the smallest name leads, and read it parent → child.
			slices.Reverse(found)
			m := slices.Index(found, slices.Min(found))
			return &CycleError{Cycle: append(found[m:], found[:m]...)}
		}
	}
	return nil
}

// Order returns the jobs with every parent before its children (ties by
// name). It is meaningful only for a graph without cycles.
func (g *Graph) Order() []string {
	indeg := map[string]int{}
	var ready []string
	for n, ps := range g.parents {
		indeg[n] = len(ps)
		if len(ps) == 0 {
			ready = append(ready, n)
		}
	}
	slices.Sort(ready)
	var out []string
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		out = append(out, n)
		for _, c := range g.children[n] {
			if indeg[c]--; indeg[c] == 0 {
				i, _ := slices.BinarySearch(ready, c)
				ready = slices.Insert(ready, i, c)
			}
		}
	}
	return out
}

// Dot writes the graph in Graphviz's dot language, as Chronos's
// /scheduler/graph/dot does; label gives each node's fill colour class.
func (g *Graph) Dot(color func(name string) string) string {
	var b strings.Builder
	b.WriteString("digraph G {\n  node [style=filled];\n")
	for _, n := range g.Order() {
		fmt.Fprintf(&b, "  %q [fillcolor=%q];\n", n, color(n))
	}
	for _, n := range g.Order() {
		for _, c := range g.children[n] {
			fmt.Fprintf(&b, "  %q -> %q;\n", n, c)
		}
	}
	b.WriteString("}\n")
	return b.String()
}
