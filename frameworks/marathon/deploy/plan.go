package deploy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// Plan computes the steps that move the cluster from the current apps to
// the target apps (both keyed by app ID), as Marathon plans them:
//
//  1. one step stopping every app that is no longer in target;
//  2. one step starting every new app (StartApplication, with no instances);
//  3. then, in dependency order (an app's step comes after the steps of
//     every app it depends on, directly or through its groups'
//     dependencies), ScaleApplication for new apps and apps whose instance
//     count alone changed, and RestartApplication for apps whose
//     configuration changed or that are listed in restart.
//
// Apps within a step are sorted by ID and empty steps are left out, so the
// plan is deterministic. A plan with nothing to do has no steps.
func Plan(current, target map[string]*app.App, groups []state.Group, restart []string) []state.Step {
	steps := []state.Step{}
	var stops []string
	for id := range current {
		if _, ok := target[id]; !ok {
			stops = append(stops, id)
		}
	}
	if s := step(state.StopApplication, stops); s != nil {
		steps = append(steps, *s)
	}
	forceRestart := map[string]bool{}
	for _, id := range restart {
		forceRestart[app.CanonicalID(id)] = true
	}
	var starts []string
	actions := map[string]string{} // app ID → action of the ordered steps
	for id, t := range target {
		c, existed := current[id]
		switch {
		case !existed:
			starts = append(starts, id)
			if t.Instances > 0 {
				actions[id] = state.ScaleApplication
			}
		case forceRestart[id] || !app.ConfigEqual(c, t):
			actions[id] = state.RestartApplication
		case c.Instances != t.Instances:
			actions[id] = state.ScaleApplication
		}
	}
	if s := step(state.StartApplication, starts); s != nil {
		steps = append(steps, *s)
	}
	levels := dependencyLevels(target, groups)
	byLevel := map[int][]state.Action{}
	maxLevel := -1
	for id, action := range actions {
		l := levels[id]
		byLevel[l] = append(byLevel[l], state.Action{Action: action, App: id})
		maxLevel = max(maxLevel, l)
	}
	for l := 0; l <= maxLevel; l++ {
		as := byLevel[l]
		if len(as) == 0 {
			continue
		}
		sort.Slice(as, func(i, j int) bool { return as[i].App < as[j].App })
		steps = append(steps, state.Step{Actions: as})
	}
	return steps
}

func step(action string, ids []string) *state.Step {
	if len(ids) == 0 {
		return nil
	}
	sort.Strings(ids)
	s := &state.Step{Actions: make([]state.Action, 0, len(ids))}
	for _, id := range ids {
		s.Actions = append(s.Actions, state.Action{Action: action, App: id})
	}
	return s
}

// graph is the app dependency graph with group dependencies expanded to the
// apps they cover.
type graph struct {
	ids  []string            // sorted app IDs
	deps map[string][]string // app → apps it depends on, sorted
}

// dependency is one declared dependency and where it was declared.
type dependency struct {
	owner string // app ID, or group ID for group dependencies
	group bool
	index int
	id    string
}

func declared(target map[string]*app.App, groups []state.Group, ids []string) map[string][]dependency {
	out := map[string][]dependency{}
	for _, id := range ids {
		for i, d := range target[id].Dependencies {
			out[id] = append(out[id], dependency{owner: id, index: i, id: app.ResolveID(app.Parent(id), d)})
		}
	}
	for _, g := range groups {
		gid := app.CanonicalID(g.ID)
		for i, d := range g.Dependencies {
			dep := dependency{owner: gid, group: true, index: i, id: app.ResolveID(app.Parent(gid), d)}
			for _, id := range ids {
				if under(id, gid) {
					out[id] = append(out[id], dep)
				}
			}
		}
	}
	return out
}

// under says whether id is path or inside the group path.
func under(id, path string) bool {
	return id == path || path == "/" || strings.HasPrefix(id, path+"/")
}

// resolve lists the apps a dependency names: the app with that ID and every
// app under a group of that path.
func resolve(dep string, ids []string) []string {
	var out []string
	i := sort.SearchStrings(ids, dep)
	for ; i < len(ids) && strings.HasPrefix(ids[i], dep); i++ {
		if under(ids[i], dep) {
			out = append(out, ids[i])
		}
	}
	return out
}

func buildGraph(target map[string]*app.App, groups []state.Group) (graph, map[string][]dependency) {
	g := graph{deps: map[string][]string{}}
	for id := range target {
		g.ids = append(g.ids, id)
	}
	sort.Strings(g.ids)
	decl := declared(target, groups, g.ids)
	for _, id := range g.ids {
		seen := map[string]bool{}
		for _, d := range decl[id] {
			for _, to := range resolve(d.id, g.ids) {
				if to != id && !seen[to] {
					seen[to] = true
					g.deps[id] = append(g.deps[id], to)
				}
			}
		}
		sort.Strings(g.deps[id])
	}
	return g, decl
}

// dependencyLevels gives each app the length of the longest dependency
// chain below it: apps without dependencies are level 0. A cycle (which
// CheckDependencies reports) is cut where the walk meets it, so the result
// is still deterministic.
func dependencyLevels(target map[string]*app.App, groups []state.Group) map[string]int {
	g, _ := buildGraph(target, groups)
	levels := map[string]int{}
	const visiting = -1
	var walk func(id string) int
	walk = func(id string) int {
		if l, ok := levels[id]; ok {
			if l == visiting {
				return -1 // back edge of a cycle: ignore it
			}
			return l
		}
		levels[id] = visiting
		l := 0
		for _, d := range g.deps[id] {
			l = max(l, walk(d)+1)
		}
		levels[id] = l
		return l
	}
	for _, id := range g.ids {
		walk(id)
	}
	return levels
}

// CheckDependencies reports dependencies that name no app or group of the
// target state (at "/dependencies(i)", the message naming the app or group
// that declares it) and cycles in the dependency graph (at "/").
func CheckDependencies(target map[string]*app.App, groups []state.Group) []state.Violation {
	g, decl := buildGraph(target, groups)
	var vs []state.Violation
	known := map[string]bool{"/": true}
	for _, gr := range groups {
		known[app.CanonicalID(gr.ID)] = true
	}
	reported := map[dependency]bool{}
	for _, id := range g.ids {
		for _, d := range decl[id] {
			if known[d.id] || len(resolve(d.id, g.ids)) > 0 || reported[d] {
				continue
			}
			reported[d] = true
			kind := "app"
			if d.group {
				kind = "group"
			}
			vs = append(vs, state.Violation{
				Path:   fmt.Sprintf("/dependencies(%d)", d.index),
				Errors: []string{fmt.Sprintf("dependency '%s' of %s '%s' names no app or group", d.id, kind, d.owner)},
			})
		}
	}
	if cycle := findCycle(g); cycle != nil {
		vs = append(vs, state.Violation{
			Path:   "/",
			Errors: []string{"Dependency graph has cyclic dependencies: " + strings.Join(cycle, " → ")},
		})
	}
	return vs
}

// findCycle returns one dependency cycle (first app repeated at the end),
// or nil.
func findCycle(g graph) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(id string) bool
	visit = func(id string) bool {
		color[id] = grey
		stack = append(stack, id)
		for _, d := range g.deps[id] {
			switch color[d] {
			case grey:
				for i, s := range stack {
					if s == d {
						cycle = append(append([]string{}, stack[i:]...), d)
					}
				}
				return true
			case white:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return false
	}
	for _, id := range g.ids {
		if color[id] == white && visit(id) {
			return cycle
		}
	}
	return nil
}
