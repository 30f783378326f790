package deploy

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/app"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSelectKills(t *testing.T) {
	in := []Instance{
		{ID: "old", Running: true, Healthy: true, StartedAt: t0},
		{ID: "young", Running: true, Healthy: true, StartedAt: t0.Add(time.Hour)},
		{ID: "mid", Running: true, Healthy: true, StartedAt: t0.Add(time.Minute)},
		{ID: "sick", Running: true, StartedAt: t0},
		{ID: "staging"},
	}
	for _, tc := range []struct {
		n         int
		selection string
		want      []string
	}{
		{0, app.YoungestFirst, nil},
		{2, app.YoungestFirst, []string{"staging", "sick"}},
		{4, app.YoungestFirst, []string{"staging", "sick", "young", "mid"}},
		{4, "", []string{"staging", "sick", "young", "mid"}},
		{4, app.OldestFirst, []string{"staging", "sick", "old", "mid"}},
		{9, app.OldestFirst, []string{"staging", "sick", "old", "mid", "young"}},
	} {
		if got := SelectKills(in, tc.n, tc.selection); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SelectKills(%d, %q) = %v, want %v", tc.n, tc.selection, got, tc.want)
		}
	}
}

func TestRestartBounds(t *testing.T) {
	for _, tc := range []struct {
		target   int
		mhc, moc float64
		want     Bounds
	}{
		{10, 1, 1, Bounds{10, 20}},
		{10, 0.5, 0.2, Bounds{5, 12}},
		{3, 1, 0, Bounds{3, 4}}, // no room: one extra allowed
		{3, 0.34, 0, Bounds{2, 3}},
		{0, 1, 1, Bounds{0, 0}},
	} {
		if got := RestartBounds(tc.target, app.UpgradeStrategy{MinimumHealthCapacity: tc.mhc, MaximumOverCapacity: tc.moc}); got != tc.want {
			t.Errorf("RestartBounds(%d, %v, %v) = %+v, want %+v", tc.target, tc.mhc, tc.moc, got, tc.want)
		}
	}
}

func TestRestartFirstMoves(t *testing.T) {
	old := func(n int) []Instance {
		var out []Instance
		for i := range n {
			out = append(out, Instance{ID: fmt.Sprintf("o%d", i), Version: "v1", Running: true, Healthy: true, StartedAt: t0.Add(time.Duration(i) * time.Second)})
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		mhc, moc float64
		want     RestartDecision
	}{
		{"default strategy starts all new at once", 1, 1, RestartDecision{Launch: 4}},
		{"no over capacity kills down to the minimum first", 0.5, 0, RestartDecision{Launch: 2, Kill: []string{"o3", "o2"}}},
		{"one at a time", 1, 0, RestartDecision{Launch: 1}},
		{"all at once", 0, 0, RestartDecision{Launch: 4, Kill: []string{"o3", "o2", "o1", "o0"}}},
	} {
		got := Restart(RestartInput{Target: 4, NewVersion: "v2", Strategy: app.UpgradeStrategy{MinimumHealthCapacity: tc.mhc, MaximumOverCapacity: tc.moc}, Instances: old(4)})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	done := Restart(RestartInput{Target: 1, NewVersion: "v2", Strategy: app.DefaultUpgradeStrategy(), Instances: []Instance{{ID: "n", Version: "v2", Running: true, Healthy: true}}})
	if !done.Done || done.Launch != 0 || done.Kill != nil {
		t.Errorf("finished restart: %+v", done)
	}
}

// TestRestartProperty simulates rolling restarts against a naive model of
// the cluster: launches become running instances after a random delay and
// healthy with some probability per step. The strategy's invariants must
// hold after every decision, and the restart must finish once new instances
// become healthy.
func TestRestartProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	caps := []float64{0, 0.25, 0.5, 0.75, 1}
	for run := 0; run < 300; run++ {
		target := rng.IntN(12)
		initial := rng.IntN(15)
		strategy := app.UpgradeStrategy{MinimumHealthCapacity: caps[rng.IntN(len(caps))], MaximumOverCapacity: caps[rng.IntN(len(caps))]}
		selection := []string{app.YoungestFirst, app.OldestFirst}[rng.IntN(2)]
		b := RestartBounds(target, strategy)
		desc := fmt.Sprintf("run %d: target %d, initial %d, %+v", run, target, initial, strategy)

		var insts []Instance
		for i := range initial {
			insts = append(insts, Instance{ID: fmt.Sprintf("old-%d", i), Version: "v1", Running: true, Healthy: rng.IntN(5) > 0, StartedAt: t0})
		}
		pending, next := 0, 0
		now := t0
		done := false
		for step := 0; step < 500 && !done; step++ {
			now = now.Add(time.Second)
			healthyBefore := countHealthy(insts)
			totalBefore := len(insts) + pending
			d := Restart(RestartInput{Target: target, NewVersion: "v2", Strategy: strategy, Instances: insts, Pending: pending, KillSelection: selection})
			if d.Done {
				done = true
				break
			}
			insts = without(insts, d.Kill)
			pending += d.Launch
			oldLeft := 0
			for _, i := range insts {
				if i.Version != "v2" {
					oldLeft++
				}
			}
			// Kills never take the healthy count below the minimum (or
			// below where it already was) while old instances remain.
			if h := countHealthy(insts); oldLeft > 0 && h < min(b.MinHealthy, healthyBefore) {
				t.Fatalf("%s step %d: healthy %d < min(%d, %d) after %+v", desc, step, h, b.MinHealthy, healthyBefore, d)
			}
			// Launches never take the total above the maximum.
			if total := len(insts) + pending; d.Launch > 0 && total > b.MaxTotal {
				t.Fatalf("%s step %d: total %d > max %d (before %d) after %+v", desc, step, total, b.MaxTotal, totalBefore, d)
			}
			// The world moves: some launches start; some new instances
			// become healthy; occasionally an old one fails its checks.
			for pending > 0 && rng.IntN(2) == 0 {
				pending--
				insts = append(insts, Instance{ID: fmt.Sprintf("new-%d", next), Version: "v2", Running: true, StartedAt: now})
				next++
			}
			for i := range insts {
				if insts[i].Version == "v2" && !insts[i].Healthy && rng.IntN(3) == 0 {
					insts[i].Healthy = true
				}
				if insts[i].Version == "v1" && insts[i].Healthy && rng.IntN(50) == 0 {
					insts[i].Healthy = false
				}
			}
		}
		if !done {
			t.Fatalf("%s: not done after 500 steps: %d instances, %d pending", desc, len(insts), pending)
		}
		if len(insts) != target || pending != 0 {
			t.Fatalf("%s: done with %d instances, %d pending", desc, len(insts), pending)
		}
	}
}

func countHealthy(insts []Instance) int {
	n := 0
	for _, i := range insts {
		if i.Healthy {
			n++
		}
	}
	return n
}

func without(insts []Instance, ids []string) []Instance {
	kill := map[string]bool{}
	for _, id := range ids {
		kill[id] = true
	}
	out := insts[:0:0]
	for _, i := range insts {
		if !kill[i.ID] {
			out = append(out, i)
		}
	}
	return out
}
