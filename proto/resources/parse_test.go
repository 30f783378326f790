package resources

import (
	"strings"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []*mesos.Resource
	}{
		{"", list()},
		{" ; ;", list()},
		{"cpus:4", list(sc("cpus", 4, ""))},
		{"cpus:4;mem:4096;disk:10000", list(sc("cpus", 4, ""), sc("mem", 4096, ""), sc("disk", 10000, ""))},
		{"ports:[31000-32000,33000-33010]", list(rg("ports", "", 31000, 32000, 33000, 33010))},
		// Whitespace is dropped inside values and trimmed around names and roles.
		{" cpus ( ads ) : 2 ; ports : [ 1 - 5 , 7-9 ] ", list(sc("cpus", 2, "ads"), rg("ports", "", 1, 5, 7, 9))},
		// Ranges are coalesced: sorted, overlaps and neighbours merged.
		{"ports:[10-20,1-5,6-8,15-30]", list(rg("ports", "", 1, 8, 10, 30))},
		{"ports:[]", list()},
		{"ports:[1-2,]", list(rg("ports", "", 1, 2))},
		{"zones:{a,b}", list(st("zones", "", "a", "b"))},
		{"zones:{}", list()},
		{"cpus(*):3", list(sc("cpus", 3, ""))},
		{"cpus(ads):2", list(sc("cpus", 2, "ads"))},
		{"cpus(eng/web):2", list(sc("cpus", 2, "eng/web"))},
		// Same identity merges; different roles stay apart.
		{"cpus:1;cpus:2.5;cpus(ads):2", list(sc("cpus", 3.5, ""), sc("cpus", 2, "ads"))},
		{"ports:[1-5];ports:[6-10]", list(rg("ports", "", 1, 10))},
		{"zones:{a};zones:{b,a}", list(st("zones", "", "a", "b"))},
		// Zero amounts are nothing.
		{"cpus:0;mem:1", list(sc("mem", 1, ""))},
		// Three decimals, like Mesos.
		{"cpus:0.1;cpus:0.2", list(sc("cpus", 0.3, ""))},
		{"cpus:1.0004", list(sc("cpus", 1, ""))},
		{"cpus:1e3", list(sc("cpus", 1000, ""))},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !sameList(got, tt.want) {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, String(got), String(tt.want))
		}
		if got == nil {
			t.Errorf("Parse(%q) = nil, want an empty list", tt.in)
		}
	}
}

func TestParseSetsBothReservationForms(t *testing.T) {
	rs := mustParse(t, "cpus(ads):2")
	r := rs[0]
	if r.GetRole() != "ads" {
		t.Errorf("legacy role = %q, want ads", r.GetRole())
	}
	if len(r.Reservations) != 1 || r.Reservations[0].GetRole() != "ads" ||
		r.Reservations[0].GetType() != mesos.Resource_ReservationInfo_STATIC {
		t.Errorf("reservations = %v, want one STATIC for ads", r.Reservations)
	}
	if u := mustParse(t, "cpus:2")[0]; u.Role != nil || u.Reservations != nil {
		t.Errorf("unreserved item has role %v, reservations %v", u.Role, u.Reservations)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, mention string }{
		{"cpus", `"cpus"`},
		{"cpus:4;mem", `"mem"`},
		{"cpus::4", "extra ':'"},
		{":4", "empty name"},
		{"(ads):4", "empty name"},
		{"cpus():4", "empty role"},
		{"cpus(ads:4", "')'"},
		{"cpus(a b):4", "whitespace"},
		{"cpus(-a):4", "'-'"},
		{"cpus(a/../b):4", `".."`},
		{"cpus(ads)x:4", "after the role"},
		{"cp{u}s:4", "punctuation"},
		{"cpus:-1", "negative"},
		{"cpus:abc", "not a number"},
		{"cpus:nan", "not a number"},
		{"cpus:1e999", "not a number"},
		{"cpus:1e300", "above"},
		{"mem:", "empty value"},
		{"ports:[5]", `"5"`},
		{"ports:[5-1]", "begins after it ends"},
		{"ports:[a-b]", `"a-b"`},
		{"ports:[1-2", "ranges"},
		{"ports:[1-2][3-4]", "ranges"},
		{"ports:[-1-2]", `"-1-2"`},
		{"zones:{a,a}", "twice"},
		{"zones:{a,{b}}", "set"},
		{"x:1{", "bracket"},
		{"ports:[1-2];ports:3", "already a RANGES"},
		{"cpus:\xff", "UTF-8"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want an error", tt.in, String(got))
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("Parse(%q) error %q does not mention %s", tt.in, err, tt.mention)
		}
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		in   string
		want []*mesos.Resource
	}{
		{`[]`, list()},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":24}},
		   {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":21000,"end":24000}]}},
		   {"name":"zones","type":"SET","set":{"item":["a","b"]}}]`,
			list(sc("cpus", 24, ""), rg("ports", "", 21000, 24000), st("zones", "", "a", "b"))},
		// 64-bit integers as strings (protojson's own output) are accepted too.
		{`[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":"1","end":"2"}]}}]`,
			list(rg("ports", "", 1, 2))},
		// The legacy role gains the reservation stack; a stack gains the role.
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":2},"role":"ads"}]`, list(sc("cpus", 2, "ads"))},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":2},"role":"*"}]`, list(func() *mesos.Resource {
			r := sc("cpus", 2, "")
			r.Role = mesosString("*")
			return r
		}())},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":2},
		    "reservations":[{"type":"STATIC","role":"ads"}]}]`, list(sc("cpus", 2, "ads"))},
		// Items merge like text items; unknown fields are ignored.
		{` [{"name":"cpus","type":"SCALAR","scalar":{"value":1},"colour":"red"},
		    {"name":"cpus","type":"SCALAR","scalar":{"value":1.5}}]`, list(sc("cpus", 2.5, ""))},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.in, err)
			continue
		}
		if !sameList(got, tt.want) {
			t.Errorf("Parse(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	tests := []struct{ in, mention string }{
		{`[`, "JSON array"},
		{`[1]`, "item 0"},
		{`[{"type":"SCALAR","scalar":{"value":1}}]`, "item 0"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":1}},{"name":"mem","type":"SCALAR","scalar":{"value":-1}}]`, "item 1 (mem)"},
		{`[{"name":"cpus","type":"SCALAR","ranges":{}}]`, "does not match"},
		{`[{"name":"t","type":"TEXT","text":{"value":"x"}}]`, "unsupported type"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"revocable":{}}]`, "revocable"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"a","reservation":{"principal":"p"}}]`, "dynamic"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"reservations":[{"type":"DYNAMIC","role":"a"}]}]`, "dynamic"},
		{`[{"name":"disk","type":"SCALAR","scalar":{"value":1},"disk":{"persistence":{"id":"v"}}}]`, "persistent"},
		{`[{"name":"p","type":"RANGES","ranges":{"range":[{"begin":1,"end":5},{"begin":3,"end":9}]}}]`, "overlap"},
		{`[{"name":"p","type":"RANGES","ranges":{"range":[{"begin":1,"end":5}]}},{"name":"p","type":"SCALAR","scalar":{"value":1}}]`, "already a RANGES"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%s) = %s, want an error", tt.in, String(got))
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("Parse(%s) error %q does not mention %s", tt.in, err, tt.mention)
		}
	}
}

func mesosString(s string) *string { return &s }
