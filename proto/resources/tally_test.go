package resources

import (
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestTallyMatchesScalarOfSum(t *testing.T) {
	a := []*mesos.Resource{sc("cpus", 1.5, "*"), sc("mem", 256, "web"), rg("ports", "*", 31000, 31010)}
	b := []*mesos.Resource{sc("cpus", 0.1, "web"), sc("cpus", -3, "*"), sc("disk", 10, "*"), sc("gpus", 1, "*")}
	tally := NewTally("cpus", "mem", "disk")
	tally.Add(a)
	tally.Add(b)
	sum := Add(a, b)
	for _, name := range []string{"cpus", "mem", "disk"} {
		if got, want := tally.Value(name), Scalar(sum, name); got != want {
			t.Errorf("tally %s = %v, Scalar of the sum = %v", name, got, want)
		}
	}
	if got := tally.Value("cpus"); got != 1.6 {
		t.Errorf("cpus = %v, want 1.6 (the negative amount is not usable)", got)
	}
	if got := tally.Value("gpus"); got != 0 {
		t.Errorf("gpus (not counted) = %v, want 0", got)
	}
}

// tasksLike is n tasks' resources as a master holds them: cpus and mem
// allocated to a role.
func tasksLike(n int) [][]*mesos.Resource {
	out := make([][]*mesos.Resource, n)
	for i := range out {
		rs := []*mesos.Resource{sc("cpus", 0.1, "*"), sc("mem", 32, "*")}
		out[i] = AllocateTo(rs, "web")
	}
	return out
}

func BenchmarkTally10kTasks(b *testing.B) {
	tasks := tasksLike(10000)
	for range b.N {
		t := NewTally("cpus", "mem", "disk", "gpus")
		for _, rs := range tasks {
			t.Add(rs)
		}
		if t.Value("cpus") != 1000 {
			b.Fatal(t.Value("cpus"))
		}
	}
}

func BenchmarkAddStripped10kTasks(b *testing.B) {
	tasks := tasksLike(10000)
	for range b.N {
		var used []*mesos.Resource
		for _, rs := range tasks {
			used = Add(used, StripAllocation(rs))
		}
		if Scalar(used, "cpus") != 1000 {
			b.Fatal(Scalar(used, "cpus"))
		}
	}
}
