package allocator_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master/allocator"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// The tests build resources from Mesos's text form, written here (not with
// proto/resources) so this package's tests depend on nothing concurrent:
//
//	cpus:8;mem:1024;ports:[31000-31009,31020-31020];zones:{a,b};cpus(web):2
//
// name(role) reserves statically for role.
func rs(spec string) []*mesos.Resource {
	var out []*mesos.Resource
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, ":")
		if !ok {
			panic("bad resource " + part)
		}
		r := &mesos.Resource{}
		if i := strings.IndexByte(name, '('); i >= 0 {
			role := strings.TrimSuffix(name[i+1:], ")")
			name = name[:i]
			r.Reservations = []*mesos.Resource_ReservationInfo{{
				Type: mesos.Resource_ReservationInfo_STATIC.Enum(), Role: proto.String(role)}}
		}
		r.Name = proto.String(name)
		switch {
		case strings.HasPrefix(val, "["):
			r.Type = mesos.Value_RANGES.Enum()
			r.Ranges = &mesos.Value_Ranges{}
			for _, s := range strings.Split(strings.Trim(val, "[]"), ",") {
				lo, hi, _ := strings.Cut(s, "-")
				b, _ := strconv.ParseUint(lo, 10, 64)
				e, _ := strconv.ParseUint(hi, 10, 64)
				r.Ranges.Range = append(r.Ranges.Range, &mesos.Value_Range{Begin: &b, End: &e})
			}
		case strings.HasPrefix(val, "{"):
			r.Type = mesos.Value_SET.Enum()
			r.Set = &mesos.Value_Set{Item: strings.Split(strings.Trim(val, "{}"), ",")}
		default:
			v, err := strconv.ParseFloat(val, 64)
			if err != nil {
				panic(err)
			}
			r.Type = mesos.Value_SCALAR.Enum()
			r.Scalar = &mesos.Value_Scalar{Value: &v}
		}
		out = append(out, r)
	}
	return out
}

// withRole returns copies of resources carrying allocation_info.role, as the
// master hands them back.
func withRole(role string, in []*mesos.Resource) []*mesos.Resource {
	out := make([]*mesos.Resource, len(in))
	for i, r := range in {
		c := proto.Clone(r).(*mesos.Resource)
		c.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
		out[i] = c
	}
	return out
}

// canon renders resources in a canonical text form: one term per
// (name, reservation role), sorted, quantities merged.
func canon(in []*mesos.Resource) string {
	type key struct{ name, role string }
	scalars := map[key]float64{}
	items := map[key][]string{}
	for _, r := range in {
		role := ""
		if n := len(r.Reservations); n > 0 {
			role = "(" + r.Reservations[n-1].GetRole() + ")"
		}
		k := key{r.GetName(), role}
		switch r.GetType() {
		case mesos.Value_SCALAR:
			scalars[k] += r.GetScalar().GetValue()
		case mesos.Value_RANGES:
			for _, x := range r.GetRanges().GetRange() {
				items[k] = append(items[k], fmt.Sprintf("%d-%d", x.GetBegin(), x.GetEnd()))
			}
		case mesos.Value_SET:
			items[k] = append(items[k], r.GetSet().GetItem()...)
		}
	}
	var terms []string
	for k, v := range scalars {
		terms = append(terms, fmt.Sprintf("%s%s:%g", k.name, k.role, v))
	}
	for k, v := range items {
		sort.Strings(v)
		terms = append(terms, fmt.Sprintf("%s%s:[%s]", k.name, k.role, strings.Join(v, ",")))
	}
	sort.Strings(terms)
	return strings.Join(terms, ";")
}

// describe renders offers as "framework@agent/role resources" lines and
// checks that every resource names the offer's role in allocation_info.
func describe(t *testing.T, offers []allocator.Offer) []string {
	t.Helper()
	var out []string
	for _, o := range offers {
		for _, r := range o.Resources {
			if got := r.GetAllocationInfo().GetRole(); got != o.Role {
				t.Errorf("offer %s@%s/%s: resource %s has allocation role %q", o.FrameworkID, o.AgentID, o.Role, r.GetName(), got)
			}
		}
		out = append(out, fmt.Sprintf("%s@%s/%s %s", o.FrameworkID, o.AgentID, o.Role, canon(o.Resources)))
	}
	return out
}

func expectOffers(t *testing.T, got []allocator.Offer, want ...string) {
	t.Helper()
	d := describe(t, got)
	if strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Errorf("offers:\n got  %q\n want %q", d, want)
	}
}

// declineAll recovers every offer with the given refusal.
func declineAll(a *allocator.Allocator, offers []allocator.Offer, refuse time.Duration, now time.Time) {
	for _, o := range offers {
		a.Recover(o.FrameworkID, o.AgentID, o.Resources, refuse, now)
	}
}

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
