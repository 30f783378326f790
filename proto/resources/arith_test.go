package resources

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestAdd(t *testing.T) {
	rev := proto.Clone(sc("cpus", 1, "")).(*mesos.Resource)
	rev.Revocable = &mesos.Resource_RevocableInfo{}
	tests := []struct {
		name string
		a, b []*mesos.Resource
		want []*mesos.Resource
	}{
		{"empty", nil, nil, list()},
		{"scalars merge", list(sc("cpus", 1, ""), sc("mem", 10, "")), list(sc("cpus", 2, "")),
			list(sc("cpus", 3, ""), sc("mem", 10, ""))},
		{"fixed point", list(sc("cpus", 0.1, "")), list(sc("cpus", 0.2, "")), list(sc("cpus", 0.3, ""))},
		{"roles stay apart", list(sc("cpus", 1, "")), list(sc("cpus", 2, "ads")),
			list(sc("cpus", 1, ""), sc("cpus", 2, "ads"))},
		{"static and dynamic stay apart", list(sc("cpus", 1, "ads")), list(dynamic(sc("cpus", 2, ""), "ads", "p")),
			list(sc("cpus", 1, "ads"), dynamic(sc("cpus", 2, ""), "ads", "p"))},
		{"allocations stay apart", list(allocated(sc("cpus", 1, ""), "a")), list(allocated(sc("cpus", 1, ""), "b"), sc("cpus", 1, "")),
			list(allocated(sc("cpus", 1, ""), "a"), allocated(sc("cpus", 1, ""), "b"), sc("cpus", 1, ""))},
		{"revocable stays apart", list(sc("cpus", 1, "")), list(rev), list(sc("cpus", 1, ""), rev)},
		{"ranges coalesce", list(rg("ports", "", 1, 5, 20, 30)), list(rg("ports", "", 6, 10, 25, 40)),
			list(rg("ports", "", 1, 10, 20, 40))},
		{"sets union", list(st("zones", "", "a", "b")), list(st("zones", "", "c", "a")),
			list(st("zones", "", "a", "b", "c"))},
		{"invalid and empty ignored", list(sc("cpus", -1, ""), nil, sc("mem", 0, "")), list(sc("cpus", math.NaN(), ""), rg("ports", "", 5, 1)),
			list()},
		{"identical volumes are two volumes", list(volume(10, "v1", "ads")), list(volume(10, "v1", "ads"), volume(5, "v2", "ads")),
			list(volume(10, "v1", "ads"), volume(10, "v1", "ads"), volume(5, "v2", "ads"))},
	}
	for _, tt := range tests {
		got := Add(tt.a, tt.b)
		if !sameList(got, tt.want) {
			t.Errorf("%s: Add(%s, %s) = %s, want %s", tt.name, String(tt.a), String(tt.b), String(got), String(tt.want))
		}
	}
}

func TestSubtract(t *testing.T) {
	tests := []struct {
		name string
		a, b []*mesos.Resource
		want []*mesos.Resource
	}{
		{"scalars", list(sc("cpus", 4, ""), sc("mem", 100, "")), list(sc("cpus", 1.5, "")),
			list(sc("cpus", 2.5, ""), sc("mem", 100, ""))},
		{"fixed point", list(sc("cpus", 0.3, "")), list(sc("cpus", 0.1, ""), sc("cpus", 0.2, "")), list()},
		{"never negative", list(sc("cpus", 1, "")), list(sc("cpus", 5, "")), list()},
		{"zero disappears", list(sc("cpus", 1, ""), sc("mem", 1, "")), list(sc("mem", 1, "")), list(sc("cpus", 1, ""))},
		{"other role untouched", list(sc("cpus", 1, "")), list(sc("cpus", 1, "ads")), list(sc("cpus", 1, ""))},
		{"other allocation untouched", list(allocated(sc("cpus", 1, ""), "a")), list(allocated(sc("cpus", 1, ""), "b"), sc("cpus", 1, "")),
			list(allocated(sc("cpus", 1, ""), "a"))},
		{"range split", list(rg("ports", "", 1, 10)), list(rg("ports", "", 4, 6)), list(rg("ports", "", 1, 3, 7, 10))},
		{"range trims and spans", list(rg("ports", "", 1, 10, 20, 30, 40, 50)), list(rg("ports", "", 0, 2, 8, 22, 45, 100)),
			list(rg("ports", "", 3, 7, 23, 30, 40, 44))},
		{"range absent", list(rg("ports", "", 1, 10)), list(rg("ports", "", 11, 20)), list(rg("ports", "", 1, 10))},
		{"range all", list(rg("ports", "", 1, 10)), list(rg("ports", "", 1, 3), rg("ports", "", 4, 10)), list()},
		{"range edges", list(rg("ports", "", 0, math.MaxUint64)), list(rg("ports", "", 0, 0, math.MaxUint64, math.MaxUint64)),
			list(rg("ports", "", 1, math.MaxUint64-1))},
		{"set", list(st("zones", "", "a", "b", "c")), list(st("zones", "", "b", "x")), list(st("zones", "", "a", "c"))},
		{"one volume of two", list(volume(10, "v1", "ads"), volume(10, "v1", "ads")), list(volume(10, "v1", "ads")),
			list(volume(10, "v1", "ads"))},
		{"volumes are not split", list(volume(10, "v1", "ads")), list(volume(4, "v1", "ads")), list(volume(10, "v1", "ads"))},
	}
	for _, tt := range tests {
		got := Subtract(tt.a, tt.b)
		if !sameList(got, tt.want) {
			t.Errorf("%s: Subtract(%s, %s) = %s, want %s", tt.name, String(tt.a), String(tt.b), String(got), String(tt.want))
		}
	}
}

func TestContains(t *testing.T) {
	agent := mustParse(t, "cpus:4;mem:1024;ports:[31000-32000];zones:{a,b};cpus(ads):2")
	tests := []struct {
		name string
		b    []*mesos.Resource
		want bool
	}{
		{"nothing", nil, true},
		{"itself", agent, true},
		{"part", mustParse(t, "cpus:1;mem:512;ports:[31000-31005,31010-31010]"), true},
		{"split across items", list(sc("cpus", 2, ""), sc("cpus", 2, "")), true},
		{"too much", mustParse(t, "cpus:4.001"), false},
		{"too much split", list(sc("cpus", 3, ""), sc("cpus", 1.5, "")), false},
		{"wrong role", mustParse(t, "cpus(other):1"), false},
		{"reserved is not unreserved", mustParse(t, "cpus:5"), false},
		{"reserved", mustParse(t, "cpus(ads):2"), true},
		{"allocated is another identity", list(allocated(sc("cpus", 1, ""), "web")), false},
		{"port outside", mustParse(t, "ports:[31999-32001]"), false},
		{"set item outside", mustParse(t, "zones:{c}"), false},
		{"unknown name", mustParse(t, "gpus:1"), false},
		{"zero is always there", list(sc("gpus", 0, "")), true},
		{"negative request", list(sc("cpus", -1, "")), false},
		{"invalid request", list(sc("cpus", 1, ""), rg("ports", "", 10, 1)), false},
	}
	for _, tt := range tests {
		if got := Contains(agent, tt.b); got != tt.want {
			t.Errorf("%s: Contains(agent, %s) = %v, want %v", tt.name, String(tt.b), got, tt.want)
		}
	}
	vols := list(volume(10, "v1", "ads"))
	if Contains(vols, list(volume(10, "v1", "ads"), volume(10, "v1", "ads"))) {
		t.Error("one volume contains two copies of itself")
	}
	if Contains(vols, list(volume(5, "v1", "ads"))) {
		t.Error("a volume contains part of itself")
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b []*mesos.Resource
		want bool
	}{
		{"empty", nil, list(), true},
		{"zero is empty", nil, list(sc("cpus", 0, "")), true},
		{"split and order", mustParse(t, "cpus:2;mem:3"), list(sc("mem", 3, ""), sc("cpus", 1, ""), sc("cpus", 1, "")), true},
		{"split ranges", list(rg("ports", "", 1, 10)), list(rg("ports", "", 6, 10), rg("ports", "", 1, 5)), true},
		{"set order", list(st("z", "", "a", "b")), list(st("z", "", "b", "a")), true},
		{"below fixed point", list(sc("cpus", 1, "")), list(sc("cpus", 1.0001, "")), true},
		{"different amount", mustParse(t, "cpus:2"), mustParse(t, "cpus:2.001"), false},
		{"different role", mustParse(t, "cpus:2"), mustParse(t, "cpus(ads):2"), false},
		{"subset", mustParse(t, "cpus:2"), mustParse(t, "cpus:2;mem:1"), false},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Equal(%s, %s) = %v, want %v", tt.name, String(tt.a), String(tt.b), got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	in := list(sc("cpus", 1, ""), nil, rg("ports", "", 5, 9), sc("cpus", -3, ""), sc("mem", 0, ""),
		rg("ports", "", 1, 4), sc("cpus", 1, "ads"), sc("cpus", 0.5, ""))
	want := list(sc("cpus", 1.5, ""), rg("ports", "", 1, 9), sc("cpus", 1, "ads"))
	if got := Normalize(in); !sameList(got, want) {
		t.Errorf("Normalize = %s, want %s", String(got), String(want))
	}
}

func TestLegacyRoleIsTheSameIdentity(t *testing.T) {
	legacy := sc("cpus", 1, "")
	legacy.Role = proto.String("ads")
	if !Equal(list(legacy), list(sc("cpus", 1, "ads"))) {
		t.Error("legacy role ads differs from a static reservation for ads")
	}
	star := sc("cpus", 1, "")
	star.Role = proto.String("*")
	if !Equal(list(star), list(sc("cpus", 1, ""))) {
		t.Error(`role "*" differs from unset role`)
	}
}

func TestArithmeticDoesNotTouchInputs(t *testing.T) {
	a := mustParse(t, "cpus:4;ports:[1-10];zones:{a,b}")
	b := mustParse(t, "cpus:1;ports:[3-4];zones:{a}")
	a0, b0 := Clone(a), Clone(b)
	sum := Add(a, b)
	diff := Subtract(a, b)
	Normalize(a)
	Contains(a, b)
	if !sameList(a, a0) || !sameList(b, b0) {
		t.Fatal("inputs were modified")
	}
	// Results must not share memory with inputs either.
	for _, out := range [][]*mesos.Resource{sum, diff, Normalize(a)} {
		for _, r := range out {
			if r.Ranges != nil {
				r.Ranges.Range[0].Begin = proto.Uint64(999)
			}
			if r.Set != nil {
				r.Set.Item[0] = "changed"
			}
			*r.Name = "changed"
		}
	}
	if !sameList(a, a0) || !sameList(b, b0) {
		t.Fatal("results alias inputs")
	}
}

func TestClone(t *testing.T) {
	if Clone(nil) != nil {
		t.Error("Clone(nil) != nil")
	}
	in := list(sc("cpus", 1, "ads"), nil, sc("cpus", 2, "ads"))
	out := Clone(in)
	if len(out) != 3 || out[1] != nil || !proto.Equal(out[0], in[0]) || !proto.Equal(out[2], in[2]) {
		t.Fatalf("Clone = %v, want a copy of %v, unmerged", out, in)
	}
	out[0].Reservations[0].Role = proto.String("x")
	if in[0].Reservations[0].GetRole() != "ads" {
		t.Error("Clone is shallow")
	}
}

// TestLargeSets exercises the indexed path sets take past smallSet items.
func TestLargeSets(t *testing.T) {
	var all, even []string
	for i := range 40 {
		x := fmt.Sprintf("gpu%d", i)
		all = append(all, x)
		if i%2 == 0 {
			even = append(even, x)
		}
	}
	odd := Subtract(list(st("gpus", "", all...)), list(st("gpus", "", even...)))
	if len(odd) != 1 || len(odd[0].GetSet().GetItem()) != 20 || odd[0].GetSet().GetItem()[0] != "gpu1" {
		t.Fatalf("all - even = %s", String(odd))
	}
	if !Equal(Add(odd, list(st("gpus", "", even...))), list(st("gpus", "", all...))) {
		t.Error("odd + even != all")
	}
	if Contains(odd, list(st("gpus", "", "gpu2"))) || !Contains(odd, list(st("gpus", "", "gpu39"))) {
		t.Error("Contains is wrong on a large set")
	}
	if err := Validate(list(st("gpus", "", append(all, "gpu33")...))); err == nil || !strings.Contains(err.Error(), "gpu33") {
		t.Errorf("duplicate in a large set: got %v", err)
	}
}

// TestManyIdentities exercises the pool's index, used past indexAt entries.
func TestManyIdentities(t *testing.T) {
	var a, b []*mesos.Resource
	for i := range 100 {
		role := fmt.Sprintf("r%d", i)
		a = append(a, sc("cpus", 2, role), volume(1, fmt.Sprint("v", i), role))
		b = append(b, sc("cpus", 1, role))
	}
	diff := Subtract(Add(a, b), b)
	if !Equal(diff, a) || len(diff) != 200 {
		t.Fatalf("(a+b)-b has %d items, want a's 200", len(diff))
	}
	if got := Scalar(Subtract(a, b), "cpus"); got != 100 {
		t.Errorf("cpus left = %v, want 100", got)
	}
}
