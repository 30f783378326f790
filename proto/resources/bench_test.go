package resources

import (
	"fmt"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// A typical agent: unreserved resources with a port range, a static
// reservation for one role, and one task's worth of resources.
func benchFixtures(b *testing.B) (agent, task []*mesos.Resource) {
	agent = mustParse(b, "cpus:16;mem:65536;disk:500000;ports:[31000-32000];"+
		"cpus(ads):4;mem(ads):8192;ports(ads):[40000-40100]")
	task = mustParse(b, "cpus:0.5;mem:512;ports:[31005-31005,31010-31011];cpus(ads):1")
	return agent, task
}

func BenchmarkAdd(b *testing.B) {
	agent, task := benchFixtures(b)
	b.ReportAllocs()
	for b.Loop() {
		Add(agent, task)
	}
}

func BenchmarkSubtract(b *testing.B) {
	agent, task := benchFixtures(b)
	b.ReportAllocs()
	for b.Loop() {
		Subtract(agent, task)
	}
}

func BenchmarkContains(b *testing.B) {
	agent, task := benchFixtures(b)
	b.ReportAllocs()
	for b.Loop() {
		Contains(agent, task)
	}
}

// BenchmarkBookkeeping is the master's cycle for one task: check the
// request against the offer, take it out, and give it back when it ends.
func BenchmarkBookkeeping(b *testing.B) {
	agent, task := benchFixtures(b)
	b.ReportAllocs()
	for b.Loop() {
		if !Contains(agent, task) {
			b.Fatal("task does not fit")
		}
		Add(Subtract(agent, task), task)
	}
}

// BenchmarkLargeRequest guards against quadratic behaviour: a framework may
// send thousands of items, and the master must not stall on them.
func BenchmarkLargeRequest(b *testing.B) {
	var offer, req []*mesos.Resource
	for i := range uint64(5000) {
		offer = append(offer, rg("ports", "", 10*i, 10*i+5), st("zones", "", fmt.Sprint("z", i)),
			sc(fmt.Sprint("r", i), 1, ""))
		req = append(req, rg("ports", "", 10*i+1, 10*i+2), st("zones", "", fmt.Sprint("z", i)),
			sc(fmt.Sprint("r", i), 0.5, ""))
	}
	b.ReportAllocs()
	for b.Loop() {
		if !Contains(offer, req) {
			b.Fatal("request does not fit")
		}
		Subtract(offer, req)
		if err := Validate(offer); err != nil {
			b.Fatal(err)
		}
	}
}
