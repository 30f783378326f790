package offers

import (
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/master/allocator"
)

func TestBookIndexesAndRemoves(t *testing.T) {
	b := NewBook("m1")
	now := time.Unix(100, 0)
	o1 := b.Add(allocator.Offer{FrameworkID: "f1", AgentID: "a1", Role: "*"}, now)
	o2 := b.Add(allocator.Offer{FrameworkID: "f1", AgentID: "a2", Role: "*"}, now.Add(time.Second))
	o3 := b.Add(allocator.Offer{FrameworkID: "f2", AgentID: "a1", Role: "web"}, now.Add(2*time.Second))
	if o1.ID != "m1-O0" || o2.ID != "m1-O1" || o3.ID != "m1-O2" {
		t.Fatalf("ids = %s %s %s", o1.ID, o2.ID, o3.ID)
	}
	if got := ids(b.ForAgent("a1")); got != "m1-O0,m1-O2" {
		t.Errorf("ForAgent(a1) = %s", got)
	}
	if got := ids(b.ForFramework("f1")); got != "m1-O0,m1-O1" {
		t.Errorf("ForFramework(f1) = %s", got)
	}
	if _, ok := b.Remove(o1.ID); !ok {
		t.Fatal("remove o1 failed")
	}
	if _, ok := b.Remove(o1.ID); ok {
		t.Fatal("second remove of o1 succeeded")
	}
	if got := ids(b.ForAgent("a1")); got != "m1-O2" {
		t.Errorf("ForAgent(a1) after remove = %s", got)
	}
	if b.Len() != 2 {
		t.Errorf("Len = %d, want 2", b.Len())
	}
	if got := ids(b.Expired(now.Add(3*time.Second), 2*time.Second)); got != "m1-O1" {
		t.Errorf("Expired = %s, want m1-O1", got)
	}
	if got := b.Expired(now.Add(time.Hour), 0); got != nil {
		t.Errorf("Expired with no timeout = %v", got)
	}
}

func TestBookOrdersNumerically(t *testing.T) {
	b := NewBook("m")
	for i := 0; i < 12; i++ {
		b.Add(allocator.Offer{FrameworkID: "f", AgentID: "a", Role: "*"}, time.Time{})
	}
	all := b.All()
	if all[2].ID != "m-O2" || all[10].ID != "m-O10" {
		t.Errorf("order: %s", ids(all))
	}
}

func ids(os []*Offer) string {
	s := ""
	for i, o := range os {
		if i > 0 {
			s += ","
		}
		s += o.ID
	}
	return s
}

// TestBookRemoveKeepsIndexes removes offers in a scrambled order and checks
// that the per-framework and per-agent lists always hold exactly the
// outstanding offers.
func TestBookRemoveKeepsIndexes(t *testing.T) {
	b := NewBook("m")
	var all []*Offer
	for i := range 60 {
		fw, ag := string(rune('a'+i%3)), string(rune('x'+i%5))
		all = append(all, b.Add(allocator.Offer{FrameworkID: fw, AgentID: ag}, time.Unix(int64(i), 0)))
	}
	live := map[string]*Offer{}
	for _, o := range all {
		live[o.ID] = o
	}
	for step := range len(all) {
		o := all[(step*37)%len(all)]
		if _, ok := b.Remove(o.ID); !ok {
			t.Fatalf("step %d: remove %s failed", step, o.ID)
		}
		delete(live, o.ID)
		for _, key := range []string{"a", "b", "c", "x", "y", "z", "{", "|"} {
			var wantFw, wantAg []string
			for _, o := range all {
				if live[o.ID] == nil {
					continue
				}
				if o.FrameworkID == key {
					wantFw = append(wantFw, o.ID)
				}
				if o.AgentID == key {
					wantAg = append(wantAg, o.ID)
				}
			}
			if got, want := ids(b.ForFramework(key)), strings.Join(wantFw, ","); got != want {
				t.Fatalf("step %d: ForFramework(%s) = %s, want %s", step, key, got, want)
			}
			if got, want := ids(b.ForAgent(key)), strings.Join(wantAg, ","); got != want {
				t.Fatalf("step %d: ForAgent(%s) = %s, want %s", step, key, got, want)
			}
		}
	}
	if b.Len() != 0 {
		t.Errorf("Len = %d after removing everything", b.Len())
	}
}
