package resources

import (
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestString(t *testing.T) {
	shared := volume(10, "v1", "ads")
	shared.Shared = &mesos.Resource_SharedInfo{}
	rev := sc("cpus", 1, "")
	rev.Revocable = &mesos.Resource_RevocableInfo{}
	tests := []struct {
		rs   []*mesos.Resource
		want string
	}{
		{nil, ""},
		{mustParse(t, "cpus:2;mem:1024;ports:[31000-32000]"), "cpus(*):2; mem(*):1024; ports(*):[31000-32000]"},
		{mustParse(t, "cpus(ads):0.5;ports:[1-2,4-5];zones:{b,a}"), "cpus(ads):0.5; ports(*):[1-2, 4-5]; zones(*):{b, a}"},
		{list(sc("cpus", 1.23456, ""), sc("mem", 1e9, "")), "cpus(*):1.235; mem(*):1000000000"},
		{list(dynamic(sc("cpus", 1, ""), "ads", "alice")), "cpus(ads, alice):1"},
		{list(allocated(sc("cpus", 1, "ads"), "ads/x")), "cpus(ads)(allocated: ads/x):1"},
		{list(shared, rev), "disk(ads)[v1]<SHARED>:10; cpus(*){REV}:1"},
		{list(nil, sc("cpus", 1, "")), "cpus(*):1"},
	}
	for _, tt := range tests {
		if got := String(tt.rs); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
	}
}

func TestStringParsesBack(t *testing.T) {
	in := "cpus:4;mem:4096;disk:10000;ports:[31000-32000,33000-33010];cpus(ads):2;zones:{a,b};gpus(eng/ml):0.125"
	rs := mustParse(t, in)
	back := mustParse(t, String(rs))
	if !sameList(back, rs) {
		t.Errorf("Parse(String(rs)) = %s, want %s", String(back), String(rs))
	}
}
