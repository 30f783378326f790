package offers

import (
	"testing"
	"time"
)

func TestBookIndexesAndRemoves(t *testing.T) {
	b := NewBook("m1")
	now := time.Unix(100, 0)
	o1 := b.Add("f1", "a1", "*", nil, now)
	o2 := b.Add("f1", "a2", "*", nil, now.Add(time.Second))
	o3 := b.Add("f2", "a1", "web", nil, now.Add(2*time.Second))
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
		b.Add("f", "a", "*", nil, time.Time{})
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
