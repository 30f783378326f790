package placement

import (
	"fmt"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// BenchmarkPlace1000 places 1,000 instances of one app over 20 offers with a
// spreading constraint, as the 0 → 1,000 scale-up does: one op is the whole
// scale-up.
func BenchmarkPlace1000(b *testing.B) {
	var raw []*mesos.Offer
	for i := 0; i < 20; i++ {
		raw = append(raw, offer(b, fmt.Sprintf("h%d", i), "cpus:64;mem:65536;disk:100000;ports:[20000-30000]", fmt.Sprintf("rack:r%d", i%4)))
	}
	a := newApp(b, `{"id":"/bench/web","cmd":"x","cpus":0.01,"mem":16,"ports":[0],"constraints":[["rack","GROUP_BY"],["hostname","MAX_PER","60"]]}`)
	b.ReportAllocs()
	for b.Loop() {
		existing := make([]Instance, 0, 1000)
		offers := make([]*Offer, len(raw))
		for i, o := range raw {
			offers[i] = NewOffer(o)
		}
		for len(existing) < 1000 {
			placed := false
			for _, o := range offers {
				if _, r := o.Place(a, existing); r == nil {
					existing = append(existing, o.Instance())
					placed = true
				}
			}
			if !placed {
				b.Fatalf("stuck at %d instances", len(existing))
			}
		}
	}
}
