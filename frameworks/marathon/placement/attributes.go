package placement

import (
	"strconv"
	"strings"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// AgentAttributes renders an offer's agent attributes as strings the way
// Mesos prints them (text as is, scalars as numbers, ranges "[1-10,20-30]",
// sets "{a,b}"), plus "hostname", which constraints may also name.
func AgentAttributes(o *mesos.Offer) map[string]string {
	attrs := make(map[string]string, len(o.GetAttributes())+1)
	for _, a := range o.GetAttributes() {
		attrs[a.GetName()] = attributeString(a)
	}
	attrs["hostname"] = o.GetHostname()
	return attrs
}

func attributeString(a *mesos.Attribute) string {
	switch a.GetType() {
	case mesos.Value_SCALAR:
		return strconv.FormatFloat(a.GetScalar().GetValue(), 'f', -1, 64)
	case mesos.Value_RANGES:
		parts := make([]string, 0, len(a.GetRanges().GetRange()))
		for _, r := range a.GetRanges().GetRange() {
			parts = append(parts, strconv.FormatUint(r.GetBegin(), 10)+"-"+strconv.FormatUint(r.GetEnd(), 10))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case mesos.Value_SET:
		return "{" + strings.Join(a.GetSet().GetItem(), ",") + "}"
	default:
		return a.GetText().GetValue()
	}
}
