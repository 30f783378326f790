package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func states(trs []Transition) []string {
	var out []string
	for _, tr := range trs {
		out = append(out, tr.TaskID+":"+tr.State.String())
	}
	return out
}

func equalStates(t *testing.T, got []Transition, want ...string) {
	t.Helper()
	g := states(got)
	if len(g) != len(want) {
		t.Fatalf("transitions %v, want %v", g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("transitions %v, want %v", g, want)
		}
	}
}

func TestContainerizerLifecycle(t *testing.T) {
	c := NewContainerizer(ContainerizerConfig{LaunchDelay: 2 * time.Second, TaskDuration: 10 * time.Second}, rand.New(rand.NewPCG(1, 2)))
	c.Launch("fw", "a", t0)
	c.Launch("fw", "b", t0.Add(time.Second))
	if c.Launch("fw", "a", t0) {
		t.Fatal("a duplicate launch was accepted")
	}
	equalStates(t, c.Due(t0.Add(1999*time.Millisecond)))
	if at, ok := c.Next(); !ok || !at.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("Next = %v %v, want t0+2s", at, ok)
	}
	equalStates(t, c.Due(t0.Add(2*time.Second)), "a:TASK_STARTING", "a:TASK_RUNNING")
	// b is late by 2 s; its run is still timed from when it was due.
	equalStates(t, c.Due(t0.Add(5*time.Second)), "b:TASK_STARTING", "b:TASK_RUNNING")
	if at, _ := c.Next(); !at.Equal(t0.Add(12 * time.Second)) {
		t.Fatalf("Next = %v, want a's end at t0+12s", at)
	}
	equalStates(t, c.Due(t0.Add(12*time.Second)), "a:TASK_FINISHED")
	equalStates(t, c.Due(t0.Add(13*time.Second)), "b:TASK_FINISHED")
	if c.Len() != 0 {
		t.Fatalf("%d containers left after both ended", c.Len())
	}
	if _, ok := c.Next(); ok {
		t.Fatal("Next reports work with no containers")
	}
}

func TestContainerizerRunsForeverWithoutDuration(t *testing.T) {
	c := NewContainerizer(ContainerizerConfig{}, rand.New(rand.NewPCG(1, 2)))
	c.Launch("fw", "a", t0)
	equalStates(t, c.Due(t0), "a:TASK_STARTING", "a:TASK_RUNNING")
	if _, ok := c.Next(); ok {
		t.Fatal("a task without a duration is scheduled to end")
	}
	tr, ok := c.Kill("fw", "a")
	if !ok || tr.State != mesos.TaskState_TASK_KILLED || tr.Reason != nil {
		t.Fatalf("Kill = %+v %v, want TASK_KILLED without a reason", tr, ok)
	}
	if _, ok := c.Kill("fw", "a"); ok {
		t.Fatal("killing an ended task succeeded")
	}
}

func TestContainerizerKillDuringLaunch(t *testing.T) {
	c := NewContainerizer(ContainerizerConfig{LaunchDelay: time.Second}, rand.New(rand.NewPCG(1, 2)))
	c.Launch("fw", "a", t0)
	tr, ok := c.Kill("fw", "a")
	if !ok || tr.Reason.String() != "REASON_TASK_KILLED_DURING_LAUNCH" {
		t.Fatalf("Kill = %+v %v", tr, ok)
	}
	equalStates(t, c.Due(t0.Add(time.Hour)))
}

func TestContainerizerFailureRate(t *testing.T) {
	run := func(seed uint64) (failed int, order []string) {
		c := NewContainerizer(ContainerizerConfig{TaskDuration: time.Second, FailureRate: 0.25}, rand.New(rand.NewPCG(seed, 0)))
		for i := range 1000 {
			c.Launch("fw", string(rune('a'+i%26))+time.Duration(i).String(), t0)
		}
		c.Due(t0)
		for _, tr := range c.Due(t0.Add(time.Second)) {
			order = append(order, tr.TaskID+tr.State.String())
			if tr.State == mesos.TaskState_TASK_FAILED {
				failed++
				if tr.Reason == nil || tr.Message == "" {
					t.Fatalf("a failure without reason or message: %+v", tr)
				}
			}
		}
		return failed, order
	}
	failed, first := run(7)
	if failed < 200 || failed > 300 {
		t.Fatalf("%d of 1000 tasks failed at a 25%% failure rate", failed)
	}
	again, second := run(7)
	if again != failed || len(first) != len(second) {
		t.Fatalf("same seed, different outcome: %d vs %d failures", failed, again)
	}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("same seed, different outcome at %d: %s vs %s", i, first[i], second[i])
		}
	}
}

func TestContainerizerConfigValidate(t *testing.T) {
	for _, c := range []ContainerizerConfig{{LaunchDelay: -1}, {TaskDuration: -1}, {FailureRate: 1.5}, {FailureRate: -0.1}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := (ContainerizerConfig{FailureRate: 1}).Validate(); err != nil {
		t.Error(err)
	}
}
