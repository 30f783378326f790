package placement

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/agoraproject/agora/frameworks/marathon/app"
)

// value is what an instance has for a constraint's field: its hostname for
// "hostname", else the agent attribute, which may be missing.
func value(field string, in Instance) (string, bool) {
	if field == "hostname" {
		return in.Hostname, in.Hostname != ""
	}
	v, ok := in.Attributes[field]
	return v, ok
}

// Satisfies says whether placing an instance on candidate keeps constraint c
// ([field, OP] or [field, OP, value]) true, given where the app's instances
// already are. A malformed constraint is never satisfied (Validate refuses
// them before they get here).
func Satisfies(c []string, candidate Instance, existing []Instance) bool {
	if len(c) < 2 || len(c) > 3 {
		return false
	}
	field, op, arg := c[0], c[1], ""
	if len(c) == 3 {
		arg = c[2]
	}
	v, ok := value(field, candidate)
	switch op {
	case app.OpUnique:
		if !ok {
			return false
		}
		return count(field, v, existing) == 0
	case app.OpCluster:
		if !ok {
			return false
		}
		if arg != "" {
			return v == arg
		}
		// Without a value the first instance picks the cluster.
		for _, e := range existing {
			if ev, _ := value(field, e); ev != v {
				return false
			}
		}
		return true
	case app.OpIs:
		return ok && sameValue(v, arg)
	case app.OpLike:
		re := compile(arg)
		return ok && re != nil && re.MatchString(v)
	case app.OpUnlike:
		re := compile(arg)
		return re != nil && (!ok || !re.MatchString(v))
	case app.OpMaxPer:
		n, err := strconv.Atoi(arg)
		return ok && err == nil && count(field, v, existing) < n
	case app.OpGroupBy:
		return ok && groupBy(field, v, arg, existing)
	}
	return false
}

// groupBy spreads instances evenly over the field's values: the candidate's
// value must be among the least used. With a value count n, values not seen
// yet count as used zero times until n distinct values hold instances.
func groupBy(field, v, arg string, existing []Instance) bool {
	// Fields have few distinct values (racks, zones); a slice beats a map.
	type group struct {
		value string
		n     int
	}
	var groups []group
next:
	for _, e := range existing {
		ev, ok := value(field, e)
		if !ok {
			continue
		}
		for i := range groups {
			if groups[i].value == ev {
				groups[i].n++
				continue next
			}
		}
		groups = append(groups, group{ev, 1})
	}
	mine := 0
	for _, g := range groups {
		if g.value == v {
			mine = g.n
		}
	}
	n, _ := strconv.Atoi(arg)
	if len(groups) < n {
		return mine == 0
	}
	for _, g := range groups {
		if g.n < mine {
			return false
		}
	}
	return true
}

func count(field, v string, existing []Instance) int {
	n := 0
	for _, e := range existing {
		if ev, ok := value(field, e); ok && ev == v {
			n++
		}
	}
	return n
}

// sameValue compares text exactly and numbers numerically ("2" IS "2.0").
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// Regular expressions are compiled once per pattern: constraints are
// checked for every offer an app is matched against.
var regexCache sync.Map // pattern → *regexp.Regexp (nil when invalid)

// compile returns the fully anchored expression (Marathon matches the whole
// value), or nil when the pattern is invalid.
func compile(pattern string) *regexp.Regexp {
	if re, ok := regexCache.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		re = nil
	}
	regexCache.Store(pattern, re)
	return re
}
