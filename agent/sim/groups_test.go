package sim

import (
	"strings"
	"testing"

	"github.com/agoraproject/agora/proto/resources"
)

func TestParseGroups(t *testing.T) {
	gs, err := ParseGroups("name=rack1 count=4000 resources=cpus:8;mem:16384;ports:[31000-32000] attributes=rack:r1;zone:a | count=2")
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 {
		t.Fatalf("got %d groups, want 2", len(gs))
	}
	g := gs[0]
	if g.Name != "rack1" || g.Count != 4000 {
		t.Errorf("group 1 is %q × %d, want rack1 × 4000", g.Name, g.Count)
	}
	if want, _ := resources.Parse("cpus:8;mem:16384;ports:[31000-32000]"); !resources.Equal(g.Resources, want) {
		t.Errorf("group 1 resources = %s", resources.String(g.Resources))
	}
	if len(g.Attributes) != 2 || g.Attributes[0].GetName() != "rack" || g.Attributes[0].GetText().GetValue() != "r1" ||
		g.Attributes[1].GetName() != "zone" || g.Attributes[1].GetText().GetValue() != "a" {
		t.Errorf("group 1 attributes = %v", g.Attributes)
	}
	d := gs[1]
	if d.Name != "g2" || d.Count != 2 || len(d.Attributes) != 0 {
		t.Errorf("group 2 is %q × %d with %v", d.Name, d.Count, d.Attributes)
	}
	if want, _ := resources.Parse(DefaultResources); !resources.Equal(d.Resources, want) {
		t.Errorf("group 2 resources = %s, want the defaults", resources.String(d.Resources))
	}
	if CountAgents(gs) != 4002 {
		t.Errorf("CountAgents = %d", CountAgents(gs))
	}
}

func TestParseGroupsErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", "group 1 is empty"},
		{"count=1 |", "group 2 is empty"},
		{"name=a", "group 1: count is required"},
		{"count=0", "count: \"0\" is not a positive integer"},
		{"count=x", "count: \"x\" is not a positive integer"},
		{"count=1 count=2", "count is given twice"},
		{"count=1 color=red", "unknown field \"color\""},
		{"count=1 rack1", "\"rack1\" is not key=value"},
		{"count=1 name=a/b", "name: \"a/b\" may only hold"},
		{"count=1 resources=cpus:x", "group 1: resources:"},
		{"count=1 resources=cpus:-1", "group 1: resources:"},
		{"count=1 attributes=rack", "group 1: attributes:"},
		{"name=a count=1 | name=a count=1", "name \"a\" is used twice"},
	} {
		_, err := ParseGroups(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseGroups(%q) = %v, want an error containing %q", tc.spec, err, tc.want)
		}
	}
}

func FuzzParseGroups(f *testing.F) {
	for _, s := range []string{
		"count=1",
		"name=rack1 count=4000 resources=cpus:8;mem:16384;ports:[31000-32000] attributes=rack:r1;zone:a | count=2",
		"count=3 resources=[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}}]",
		"count=1 attributes=tags:{a,b};level:3",
		"|",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		gs, err := ParseGroups(spec)
		if err != nil {
			return
		}
		for _, g := range gs {
			if g.Count < 1 || g.Name == "" || len(g.Resources) == 0 {
				t.Fatalf("accepted an unusable group %+v from %q", g, spec)
			}
		}
	})
}
