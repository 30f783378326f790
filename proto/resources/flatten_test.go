package resources

import (
	"encoding/json"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestFlatten(t *testing.T) {
	rev := sc("cpus", 0.5, "")
	rev.Revocable = &mesos.Resource_RevocableInfo{}
	rs := append(mustParse(t, "cpus:2;mem:1024;ports:[31000-32000,33000-33010];zones:{a,b};cpus(ads):1.5;zones(ads):{c}"),
		rev, allocated(sc("mem", 1, ""), "web"), sc("disk", -1, ""))
	want := map[string]any{
		"cpus": 3.5, "gpus": 0.0, "mem": 1025.0, "disk": 0.0,
		"ports":          "[31000-32000, 33000-33010]",
		"zones":          "{a, b, c}",
		"cpus_revocable": 0.5,
	}
	if got := Flatten(rs); !reflect.DeepEqual(got, want) {
		t.Errorf("Flatten = %v, want %v", got, want)
	}
	// The state.json shape: numbers stay numbers, defaults present.
	b, err := json.Marshal(Flatten(mustParse(t, "cpus:2;mem:1024;ports:[31000-32000]")))
	if err != nil {
		t.Fatal(err)
	}
	const js = `{"cpus":2,"disk":0,"gpus":0,"mem":1024,"ports":"[31000-32000]"}`
	if string(b) != js {
		t.Errorf("json = %s, want %s", b, js)
	}
}

func TestFlattenSumsVolumesWithDisk(t *testing.T) {
	got := Flatten(list(volume(10, "v1", "ads"), volume(10, "v1", "ads"), sc("disk", 5, "")))
	if got["disk"] != 25.0 {
		t.Errorf("disk = %v, want 25", got["disk"])
	}
}

func TestFlattenMixedTypesKeepsFirst(t *testing.T) {
	got := Flatten(list(rg("ports", "", 1, 2), sc("ports", 5, "")))
	if got["ports"] != "[1-2]" {
		t.Errorf("ports = %v, want [1-2]", got["ports"])
	}
}

func TestFlattenReserved(t *testing.T) {
	legacy := sc("mem", 64, "")
	legacy.Role = proto.String("old")
	rs := append(mustParse(t, "cpus:2;cpus(ads):1;ports(ads):[1-2]"), legacy, dynamic(sc("cpus", 0.5, ""), "ads", "p"))
	want := map[string]map[string]any{
		"ads": {"cpus": 1.5, "gpus": 0.0, "mem": 0.0, "disk": 0.0, "ports": "[1-2]"},
		"old": {"cpus": 0.0, "gpus": 0.0, "mem": 64.0, "disk": 0.0},
	}
	if got := FlattenReserved(rs); !reflect.DeepEqual(got, want) {
		t.Errorf("FlattenReserved = %v, want %v", got, want)
	}
	if got := FlattenReserved(mustParse(t, "cpus:1")); len(got) != 0 || got == nil {
		t.Errorf("FlattenReserved(unreserved) = %#v, want an empty map", got)
	}
}
