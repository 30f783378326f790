package resources

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

var propSeed = flag.Uint64("seed", 1, "seed for the property tests; change it to explore")

// portSpace is small so that random ranges touch, overlap and split.
const portSpace = 64

// genPair returns random resources a and b whose ranges and sets are
// disjoint, as two real allocations from one agent are. Each identity's
// value is scattered over several items, in random order.
func genPair(rng *rand.Rand) (a, b []*mesos.Resource) {
	roles := []string{"", "ads", "eng/web"}
	allocs := []string{"", "fw"}
	for _, role := range roles {
		for _, alloc := range allocs {
			tag := func(r *mesos.Resource) *mesos.Resource {
				if alloc != "" {
					return allocated(r, alloc)
				}
				return r
			}
			for _, name := range []string{"cpus", "mem"} {
				for range rng.IntN(3) {
					a = append(a, tag(sc(name, float64(rng.IntN(20000))/1000, role)))
				}
				for range rng.IntN(3) {
					b = append(b, tag(sc(name, float64(rng.IntN(20000))/1000, role)))
				}
			}
			var owner [portSpace]int
			for p := range owner {
				owner[p] = rng.IntN(3) // 0: nobody, 1: a, 2: b
			}
			for p := 0; p < portSpace; {
				q := p
				for q+1 < portSpace && owner[q+1] == owner[p] && rng.IntN(4) > 0 {
					q++
				}
				switch owner[p] {
				case 1:
					a = append(a, tag(rg("ports", role, uint64(p), uint64(q))))
				case 2:
					b = append(b, tag(rg("ports", role, uint64(p), uint64(q))))
				}
				p = q + 1
			}
			for i := range 6 {
				item := fmt.Sprintf("z%d", i)
				switch rng.IntN(3) {
				case 1:
					a = append(a, tag(st("zones", role, item)))
				case 2:
					b = append(b, tag(st("zones", role, item)))
				}
			}
		}
	}
	for range rng.IntN(3) {
		v := volume(float64(1+rng.IntN(3)), fmt.Sprintf("v%d", rng.IntN(2)), "ads")
		if rng.IntN(2) == 0 {
			a = append(a, v)
		} else {
			b = append(b, v)
		}
	}
	rng.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
	rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	return a, b
}

func TestPropertyAddSubtract(t *testing.T) {
	t.Logf("seed %d", *propSeed)
	rng := rand.New(rand.NewPCG(*propSeed, 0))
	for i := range 600 {
		a, b := genPair(rng)
		sum := Add(a, b)
		fail := func(what string) {
			t.Fatalf("seed %d case %d: %s\na = %s\nb = %s\na+b = %s", *propSeed, i, what, String(a), String(b), String(sum))
		}
		if !Equal(Subtract(sum, b), a) {
			fail(fmt.Sprintf("(a+b)-b = %s, want a", String(Subtract(sum, b))))
		}
		if !Contains(sum, b) || !Contains(sum, a) {
			fail("a+b does not contain a and b")
		}
		if !Equal(sum, Add(b, a)) {
			fail("a+b != b+a")
		}
		if len(Subtract(a, a)) != 0 {
			fail("a-a is not empty")
		}
		if n := Normalize(a); !Equal(n, a) || !sameList(Normalize(n), n) {
			fail("Normalize changes meaning or is not idempotent")
		}
		if Contains(a, sum) != (len(Subtract(sum, a)) == 0) {
			fail("Contains(a, a+b) disagrees with (a+b)-a being empty")
		}
		// Scalars are exact in thousandths.
		want := milliOf(a, "cpus") + milliOf(b, "cpus")
		if got := toMilli(Scalar(sum, "cpus")); got != want {
			fail(fmt.Sprintf("cpus total %d milli, want %d", got, want))
		}
	}
}

func milliOf(rs []*mesos.Resource, name string) int64 {
	var m int64
	for _, r := range rs {
		if r.GetName() == name {
			m += toMilli(r.GetScalar().GetValue())
		}
	}
	return m
}

// TestPropertyRangesAgainstBitmap checks range arithmetic, with overlapping
// and unsorted inputs, against a naive port-by-port reference.
func TestPropertyRangesAgainstBitmap(t *testing.T) {
	rng := rand.New(rand.NewPCG(*propSeed, 1))
	randRanges := func() ([]*mesos.Resource, [portSpace]bool) {
		var rs []*mesos.Resource
		var bits [portSpace]bool
		for range rng.IntN(5) {
			lo := rng.IntN(portSpace)
			hi := lo + rng.IntN(min(8, portSpace-lo))
			rs = append(rs, rg("ports", "", uint64(lo), uint64(hi)))
			for p := lo; p <= hi; p++ {
				bits[p] = true
			}
		}
		return rs, bits
	}
	toBits := func(rs []*mesos.Resource) (bits [portSpace]bool) {
		for _, r := range Ranges(rs, "ports") {
			for p := r[0]; p <= r[1]; p++ {
				bits[p] = true
			}
		}
		return bits
	}
	for i := range 5000 {
		a, abits := randRanges()
		b, bbits := randRanges()
		var sum, diff [portSpace]bool
		contained := true
		for p := range portSpace {
			sum[p] = abits[p] || bbits[p]
			diff[p] = abits[p] && !bbits[p]
			contained = contained && (!bbits[p] || abits[p])
		}
		if got := toBits(Add(a, b)); got != sum {
			t.Fatalf("case %d: Add(%s, %s) = %s", i, String(a), String(b), String(Add(a, b)))
		}
		if got := toBits(Subtract(a, b)); got != diff {
			t.Fatalf("case %d: Subtract(%s, %s) = %s", i, String(a), String(b), String(Subtract(a, b)))
		}
		if got := Contains(a, b); got != contained {
			t.Fatalf("case %d: Contains(%s, %s) = %v, want %v", i, String(a), String(b), got, contained)
		}
		for _, r := range Add(a, b) {
			if err := Validate([]*mesos.Resource{r}); err != nil {
				t.Fatalf("case %d: Add produced an invalid item: %v", i, err)
			}
		}
	}
}
