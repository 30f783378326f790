package resources

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Validate checks rs as Mesos does before it accepts resources from an
// agent or a framework: every item has a name, a SCALAR, RANGES or SET type
// with the matching value and no other, scalars finite, ≥ 0 and within
// fixed-point range, ranges not inverted nor overlapping, sets without
// duplicates, valid role names, and no name used with two types. The error
// names the offending item.
func Validate(rs []*mesos.Resource) error {
	types := make(map[string]mesos.Value_Type, len(rs))
	for i, r := range rs {
		if err := validateOne(r); err != nil {
			return fmt.Errorf("resource %d (%s): %w", i, r.GetName(), err)
		}
		if t, ok := types[r.GetName()]; ok && t != r.GetType() {
			return fmt.Errorf("resource %d (%s): name used with types %s and %s",
				i, r.GetName(), t, r.GetType())
		}
		types[r.GetName()] = r.GetType()
	}
	return nil
}

// usable is the structural part of validation: what arithmetic needs to
// give an item a meaning. Arithmetic skips items that fail it.
func usable(r *mesos.Resource) bool {
	return structuralError(r) == nil
}

func structuralError(r *mesos.Resource) error {
	if r == nil {
		return errors.New("nil resource")
	}
	if r.GetName() == "" {
		return errors.New("empty name")
	}
	if r.Type == nil {
		return errors.New("type not set")
	}
	has := [...]bool{r.Scalar != nil, r.Ranges != nil, r.Set != nil}
	var want int
	switch r.GetType() {
	case mesos.Value_SCALAR:
		want = 0
	case mesos.Value_RANGES:
		want = 1
	case mesos.Value_SET:
		want = 2
	default:
		return fmt.Errorf("unsupported type %s", r.GetType())
	}
	for i, h := range has {
		if h != (i == want) {
			return fmt.Errorf("type %s does not match the value set", r.GetType())
		}
	}
	switch r.GetType() {
	case mesos.Value_SCALAR:
		v := r.GetScalar().GetValue()
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("scalar %v is not finite", v)
		}
		if v < 0 {
			return fmt.Errorf("scalar %v is negative", v)
		}
		if v > maxScalar {
			return fmt.Errorf("scalar %v is above %v", v, maxScalar)
		}
	case mesos.Value_RANGES:
		for _, rg := range r.GetRanges().GetRange() {
			if rg.GetBegin() > rg.GetEnd() {
				return fmt.Errorf("range %d-%d begins after it ends", rg.GetBegin(), rg.GetEnd())
			}
		}
	}
	return nil
}

func validateOne(r *mesos.Resource) error {
	if err := structuralError(r); err != nil {
		return err
	}
	switch r.GetType() {
	case mesos.Value_RANGES:
		if err := overlapError(r.GetRanges().GetRange()); err != nil {
			return err
		}
	case mesos.Value_SET:
		if x, dup := firstDuplicate(r.GetSet().GetItem()); dup {
			return fmt.Errorf("set item %q appears twice", x)
		}
	}
	return reservationError(r)
}

// overlapError rejects overlapping ranges, as Mesos does: a list that
// counts a port twice is a bookkeeping bug upstream, not a request.
// Sorting first keeps this O(n log n) for frameworks that send many ranges.
func overlapError(rs []*mesos.Value_Range) error {
	s := make([]span, len(rs))
	for i, r := range rs {
		s[i] = span{r.GetBegin(), r.GetEnd()}
	}
	slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	for i := 1; i < len(s); i++ {
		if s[i].lo <= s[i-1].hi {
			return fmt.Errorf("ranges %d-%d and %d-%d overlap", s[i-1].lo, s[i-1].hi, s[i].lo, s[i].hi)
		}
	}
	return nil
}

func reservationError(r *mesos.Resource) error {
	if r.Role != nil && r.GetRole() != unreservedRole {
		if err := validateRole(r.GetRole()); err != nil {
			return err
		}
	}
	if len(r.GetReservations()) == 0 && r.GetReservation() != nil && Role(r) == unreservedRole {
		return errors.New(`role "*" cannot be dynamically reserved`)
	}
	for _, ri := range r.GetReservations() {
		if ri.GetRole() == unreservedRole {
			return errors.New(`cannot reserve for role "*"`)
		}
		if err := validateRole(ri.GetRole()); err != nil {
			return err
		}
	}
	return nil
}

// validateRole applies Mesos's role-name rules. Roles may be hierarchical
// ("eng/web"); each component is checked.
func validateRole(role string) error {
	if role == unreservedRole {
		return nil
	}
	if role == "" {
		return errors.New("empty role")
	}
	for _, c := range strings.Split(role, "/") {
		switch {
		case c == "":
			return fmt.Errorf("role %q has an empty component", role)
		case c == "." || c == "..":
			return fmt.Errorf("role %q has a %q component", role, c)
		case c == unreservedRole:
			return fmt.Errorf("role %q has a %q component", role, c)
		case strings.HasPrefix(c, "-"):
			return fmt.Errorf("role %q has a component starting with '-'", role)
		case strings.IndexFunc(c, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			return fmt.Errorf("role %q contains whitespace or control characters", role)
		}
	}
	return nil
}
