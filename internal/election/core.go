package election

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// seqDigits is the width of ZooKeeper's sequence suffix.
const seqDigits = 10

// candidate is one contender's znode.
type candidate struct {
	Name string // child name, "<prefix><10 digits>"
	Seq  int64
}

// candidates picks the children that are contenders for prefix and sorts
// them by sequence number, lowest (the leader) first. Other children —
// another prefix, a malformed suffix — are not contenders.
func candidates(children []string, prefix string) []candidate {
	var out []candidate
	for _, c := range children {
		suffix, ok := strings.CutPrefix(c, prefix)
		if !ok || len(suffix) != seqDigits {
			continue
		}
		seq, err := strconv.ParseInt(suffix, 10, 64)
		if err != nil || seq < 0 {
			continue
		}
		out = append(out, candidate{c, seq})
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if a.Seq != b.Seq {
			return int(a.Seq - b.Seq)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// leaseExpired decides whether a leader must stop leading because its
// session may be over. ZooKeeper expires a session a session timeout after
// it last heard from the client, so the leader gives up its lease two thirds
// of the way there (lastContact is when it last heard from the server):
// late enough that routine pings (every third of the timeout) keep it, early
// enough that it has stopped before the server deletes its znode and
// another contender takes over.
func leaseExpired(lastContact, now time.Time, sessionTimeout time.Duration) bool {
	return now.Sub(lastContact) > sessionTimeout*2/3
}
