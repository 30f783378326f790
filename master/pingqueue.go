package master

import (
	"container/heap"
	"time"
)

// pingQueue orders connected agents by when their next PING is due, so a
// tick costs O(agents due) rather than a walk over every agent: with
// 10,000 agents and a 50 ms tick the walk alone was a visible share of
// the master's CPU. Entries go stale when an agent reconnects or is
// removed; pingAgents drops those as they come up.
type pingQueue []pingEntry

type pingEntry struct {
	due time.Time
	a   *agentRecord
}

func (q pingQueue) Len() int           { return len(q) }
func (q pingQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q pingQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pingQueue) Push(x any)        { *q = append(*q, x.(pingEntry)) }
func (q *pingQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = pingEntry{}
	*q = old[:len(old)-1]
	return e
}

// schedule queues a's next ping at a.nextPing.
func (q *pingQueue) schedule(a *agentRecord) { heap.Push(q, pingEntry{a.nextPing, a}) }

// due pops the next entry due at now, if any.
func (q *pingQueue) due(now time.Time) (pingEntry, bool) {
	if len(*q) == 0 || (*q)[0].due.After(now) {
		return pingEntry{}, false
	}
	return heap.Pop(q).(pingEntry), true
}
