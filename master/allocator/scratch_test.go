package allocator_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/agoraproject/agora/master/allocator"
)

func TestScratchDRF(t *testing.T) {
	fws := map[string]shape{"A": {0.25, 1024}, "B": {0.75, 256}, "C": {0.5, 512}}
	s := &sim{a: allocator.New(allocator.Config{}), rng: rand.New(rand.NewPCG(7, 7)), now: t0, fws: fws}
	for i := range 200 {
		s.a.AddAgent(fmt.Sprintf("agent-%03d", i), rs("cpus:8;mem:16384"), nil)
	}
	for id := range fws {
		s.a.AddFramework(id, []string{"r"}, nil)
	}
	for i := range 600 {
		s.cycle(t)
		if i%50 == 0 || i > 590 {
			var cpu, mem float64
			for _, tk := range s.tasks {
				cpu += tk.res.cpus
				mem += tk.res.mem
			}
			// free per agent
			used := map[string]shape{}
			for _, tk := range s.tasks {
				u := used[tk.agent]
				u.cpus += tk.res.cpus
				u.mem += tk.res.mem
				used[tk.agent] = u
			}
			hist := map[string]int{}
			for j := range 200 {
				u := used[fmt.Sprintf("agent-%03d", j)]
				fc, fm := 8-u.cpus, 16384-u.mem
				k := ""
				for _, id := range []string{"A", "B", "C"} {
					if fc >= fws[id].cpus-1e-9 && fm >= fws[id].mem-1e-9 {
						k += id
					}
				}
				hist[k]++
			}
			t.Logf("fits %v", hist)
			t.Logf("%d: cpu %.3f mem %.3f shares %v", i, cpu/1600, mem/(200*16384), s.a.FrameworkShares())
		}
	}
}
