package cgroups

import (
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestLimitsFor(t *testing.T) {
	all := Config{CPU: true, CFS: true, Memory: true, Pids: true, PidsLimit: 100}
	for _, tc := range []struct {
		name string
		rs   []*mesos.Resource
		cfg  Config
		want limits
	}{
		{"nothing asked", nil, all, limits{pids: 100}},
		{"one cpu", resources(1, 128), all, limits{cpus: 1, shares: 1024, quotaUS: 100000, periodUS: 100000, memBytes: 128 << 20, pids: 100}},
		{"tiny cpu and mem take minimums", resources(0.001, 1), all, limits{cpus: 0.001, shares: 2, quotaUS: 1000, periodUS: 100000, memBytes: 32 << 20, pids: 100}},
		{"no CFS", resources(0.5, 64), Config{CPU: true, Memory: true}, limits{cpus: 0.5, shares: 512, memBytes: 64 << 20}},
		{"accounting only", resources(2, 64), Config{}, limits{cpus: 2}},
	} {
		if got := limitsFor(tc.rs, tc.cfg); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, bad := range []Config{
		{Root: "../x"}, {Root: "a//b"}, {PidsLimit: -1}, {Version: 3}, {CFS: true}, {ParallelLaunches: -1},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := (Config{Root: "agora/nested", CPU: true, CFS: true}).Validate(); err != nil {
		t.Error(err)
	}
}
