package resources

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestValidateAccepts(t *testing.T) {
	ok := [][]*mesos.Resource{
		nil,
		mustParse(t, "cpus:4;mem:4096;ports:[1-10,20-30];zones:{a,b};cpus(ads):2"),
		list(sc("cpus", 0, "")),
		list(dynamic(sc("cpus", 1, ""), "eng/web", "alice")),
		list(allocated(sc("cpus", 1, ""), "web")),
		list(volume(100, "v1", "ads")),
	}
	for _, rs := range ok {
		if err := Validate(rs); err != nil {
			t.Errorf("Validate(%s): %v", String(rs), err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	with := func(r *mesos.Resource, f func(*mesos.Resource)) *mesos.Resource {
		r = proto.Clone(r).(*mesos.Resource)
		f(r)
		return r
	}
	cpus := sc("cpus", 1, "")
	tests := []struct {
		name    string
		rs      []*mesos.Resource
		mention string
	}{
		{"nil item", list(cpus, nil), "resource 1"},
		{"no name", list(with(cpus, func(r *mesos.Resource) { r.Name = nil })), "empty name"},
		{"no type", list(with(cpus, func(r *mesos.Resource) { r.Type = nil })), "type not set"},
		{"text type", list(with(cpus, func(r *mesos.Resource) { r.Type = mesos.Value_TEXT.Enum() })), "unsupported"},
		{"no value", list(with(cpus, func(r *mesos.Resource) { r.Scalar = nil })), "does not match"},
		{"two values", list(with(cpus, func(r *mesos.Resource) { r.Set = &mesos.Value_Set{} })), "does not match"},
		{"wrong value", list(with(rg("p", ""), func(r *mesos.Resource) { r.Ranges, r.Scalar = nil, &mesos.Value_Scalar{} })), "does not match"},
		{"negative", list(sc("cpus", -0.5, "")), "negative"},
		{"NaN", list(sc("cpus", math.NaN(), "")), "finite"},
		{"Inf", list(sc("cpus", math.Inf(1), "")), "finite"},
		{"huge", list(sc("cpus", 1e300, "")), "above"},
		{"inverted range", list(rg("ports", "", 10, 5)), "begins after"},
		{"overlap", list(rg("ports", "", 1, 10, 10, 12)), "overlap"},
		{"duplicate item", list(st("zones", "", "a", "a")), "twice"},
		{"mixed types", list(rg("ports", "", 1, 2), sc("ports", 3, "")), "resource 1 (ports)"},
		{"reserved for *", list(with(cpus, func(r *mesos.Resource) {
			r.Reservations = []*mesos.Resource_ReservationInfo{{Role: proto.String("*")}}
		})), `"*"`},
		{"bad role", list(sc("cpus", 1, "a b")), "whitespace"},
		{"dynamic on *", list(with(cpus, func(r *mesos.Resource) {
			r.Reservation = &mesos.Resource_ReservationInfo{}
		})), "dynamically"},
	}
	for _, tt := range tests {
		err := Validate(tt.rs)
		if err == nil {
			t.Errorf("%s: Validate succeeded, want an error", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: error %q does not mention %s", tt.name, err, tt.mention)
		}
	}
}

func TestValidateRole(t *testing.T) {
	for _, role := range []string{"*", "ads", "eng/web", "a.b", "a-b", "_x"} {
		if err := validateRole(role); err != nil {
			t.Errorf("validateRole(%q): %v", role, err)
		}
	}
	for _, role := range []string{"", ".", "..", "-a", "a/", "/a", "a//b", "a/*", "a\tb", "a\x00"} {
		if validateRole(role) == nil {
			t.Errorf("validateRole(%q) succeeded, want an error", role)
		}
	}
}
