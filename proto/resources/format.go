package resources

import (
	"strconv"
	"strings"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// String renders rs in Mesos's text form, "cpus(*):2; mem(*):1024;
// ports(*):[31000-32000]", for logs and error messages. Statically reserved
// and unreserved resources come out in --resources syntax and parse back.
// Facts the syntax cannot carry are appended where Mesos puts them:
// a dynamic reservation's principal inside the parentheses, then
// "(allocated: role)", "[volume-id]" for a persistent volume, "{REV}" and
// "<SHARED>".
func String(rs []*mesos.Resource) string {
	var b strings.Builder
	for _, r := range rs {
		if r == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		writeResource(&b, r)
	}
	return b.String()
}

func writeResource(b *strings.Builder, r *mesos.Resource) {
	b.WriteString(r.GetName())
	b.WriteByte('(')
	b.WriteString(Role(r))
	if n := reservationCount(r); n > 0 {
		last := reservationAt(r, n-1)
		if last.typ == mesos.Resource_ReservationInfo_DYNAMIC && last.principal != "" {
			b.WriteString(", ")
			b.WriteString(last.principal)
		}
	}
	b.WriteByte(')')
	if r.AllocationInfo != nil {
		b.WriteString("(allocated: ")
		b.WriteString(r.GetAllocationInfo().GetRole())
		b.WriteByte(')')
	}
	if p := r.GetDisk().GetPersistence(); p != nil {
		b.WriteString("[" + p.GetId() + "]")
	}
	if r.Revocable != nil {
		b.WriteString("{REV}")
	}
	if r.Shared != nil {
		b.WriteString("<SHARED>")
	}
	b.WriteByte(':')
	switch r.GetType() {
	case mesos.Value_SCALAR:
		b.WriteString(formatScalar(r.GetScalar().GetValue()))
	case mesos.Value_RANGES:
		formatSpans(b, spansOf(r.GetRanges()))
	case mesos.Value_SET:
		formatItems(b, r.GetSet().GetItem())
	}
}

// formatScalar prints the shortest decimal that parses back to the same
// fixed-point value; Mesos, too, drops digits beyond the third decimal.
func formatScalar(v float64) string {
	return strconv.FormatFloat(fromMilli(toMilli(v)), 'f', -1, 64)
}
