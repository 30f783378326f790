package resources

import mesos "github.com/agoraproject/agora/proto/mesos/v1"

// Tally sums the usable scalar amounts of a few named resources over many
// lists, in the same fixed-point units as Scalar, without building merged
// lists: for metrics that total a whole cluster. Scalar(Add(a, b), n)
// equals the tally of a and b for n.
type Tally struct {
	names []string
	milli []int64
}

// NewTally counts the given resource names.
func NewTally(names ...string) *Tally {
	return &Tally{names: names, milli: make([]int64, len(names))}
}

// Add counts rs.
func (t *Tally) Add(rs []*mesos.Resource) {
	for _, r := range rs {
		if r.GetType() != mesos.Value_SCALAR {
			continue
		}
		name := r.GetName()
		for i, n := range t.names {
			if n == name {
				if usable(r) {
					t.milli[i] = addMilli(t.milli[i], toMilli(r.GetScalar().GetValue()))
				}
				break
			}
		}
	}
}

// Value returns the sum for name, 0 for a name not counted.
func (t *Tally) Value(name string) float64 {
	for i, n := range t.names {
		if n == name {
			return fromMilli(t.milli[i])
		}
	}
	return 0
}
