package resources

import (
	"strings"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Flatten renders rs the way Mesos's state.json does: one key per name,
// totalled over roles and allocations; scalars as numbers, ranges as
// "[31000-32000, 33000-33010]", sets as "{a, b}". Revocable resources are
// reported under name+"_revocable". cpus, gpus, mem and disk are always
// present (0 when absent), because dashboards read them unconditionally.
func Flatten(rs []*mesos.Resource) map[string]any {
	out := map[string]any{"cpus": 0.0, "gpus": 0.0, "mem": 0.0, "disk": 0.0}
	var keys []string
	totals := map[string]*entry{}
	for _, r := range rs {
		if !usable(r) {
			continue
		}
		key := r.GetName()
		if r.Revocable != nil {
			key += "_revocable"
		}
		v := entryOf(r)
		// A total spans identities: volumes are summed like other disk.
		v.whole = false
		t, ok := totals[key]
		switch {
		case !ok:
			totals[key] = &v
			keys = append(keys, key)
		case t.tmpl.GetType() == r.GetType():
			t.merge(&v)
		}
		// Otherwise the name is used with two types, which is invalid;
		// the first type seen wins.
	}
	for _, key := range keys {
		out[key] = flatValue(totals[key])
	}
	return out
}

func flatValue(e *entry) any {
	e.settle()
	var b strings.Builder
	switch e.tmpl.GetType() {
	case mesos.Value_SCALAR:
		return fromMilli(e.milli)
	case mesos.Value_RANGES:
		formatSpans(&b, e.spans)
	default:
		formatItems(&b, e.items)
	}
	return b.String()
}

// FlattenReserved renders the reserved part of rs per reservation role, in
// the shape of state.json's reserved_resources.
func FlattenReserved(rs []*mesos.Resource) map[string]map[string]any {
	byRole := map[string][]*mesos.Resource{}
	for _, r := range rs {
		if role := Role(r); r != nil && role != unreservedRole {
			byRole[role] = append(byRole[role], r)
		}
	}
	out := make(map[string]map[string]any, len(byRole))
	for role, group := range byRole {
		out[role] = Flatten(group)
	}
	return out
}
