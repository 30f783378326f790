package placement

import "testing"

func at(host, rack string) Instance {
	attrs := map[string]string{"hostname": host}
	if rack != "" {
		attrs["rack"] = rack
	}
	return Instance{AgentID: "a-" + host, Hostname: host, Attributes: attrs}
}

func TestSatisfies(t *testing.T) {
	existing := []Instance{at("h1", "r1"), at("h2", "r1"), at("h3", "r2")}
	for _, tc := range []struct {
		c         []string
		candidate Instance
		existing  []Instance
		want      bool
	}{
		{[]string{"hostname", "UNIQUE"}, at("h4", "r3"), existing, true},
		{[]string{"hostname", "UNIQUE"}, at("h1", "r1"), existing, false},
		{[]string{"rack", "UNIQUE"}, at("h4", "r2"), existing, false},
		{[]string{"rack", "UNIQUE"}, at("h4", ""), existing, false}, // no attribute
		{[]string{"rack", "CLUSTER", "r1"}, at("h9", "r1"), nil, true},
		{[]string{"rack", "CLUSTER", "r1"}, at("h9", "r2"), nil, false},
		{[]string{"rack", "CLUSTER"}, at("h9", "r5"), nil, true},
		{[]string{"rack", "CLUSTER"}, at("h9", "r1"), existing[:2], true},
		{[]string{"rack", "CLUSTER"}, at("h9", "r2"), existing[:2], false},
		{[]string{"rack", "GROUP_BY"}, at("h9", "r2"), existing, true},  // r2 has 1, r1 has 2
		{[]string{"rack", "GROUP_BY"}, at("h9", "r1"), existing, false}, // r1 is ahead
		{[]string{"rack", "GROUP_BY", "3"}, at("h9", "r2"), existing, false},
		{[]string{"rack", "GROUP_BY", "3"}, at("h9", "r3"), existing, true}, // a third value is expected
		{[]string{"rack", "GROUP_BY"}, at("h9", ""), existing, false},
		{[]string{"rack", "LIKE", "r[0-9]"}, at("h9", "r7"), nil, true},
		{[]string{"rack", "LIKE", "r"}, at("h9", "r7"), nil, false}, // whole value
		{[]string{"rack", "LIKE", "r.*"}, at("h9", ""), nil, false},
		{[]string{"rack", "UNLIKE", "r1"}, at("h9", "r2"), nil, true},
		{[]string{"rack", "UNLIKE", "r1"}, at("h9", "r1"), nil, false},
		{[]string{"rack", "UNLIKE", "r1"}, at("h9", ""), nil, true},
		{[]string{"rack", "MAX_PER", "2"}, at("h9", "r1"), existing, false},
		{[]string{"rack", "MAX_PER", "2"}, at("h9", "r2"), existing, true},
		{[]string{"hostname", "MAX_PER", "1"}, at("h1", "r1"), existing, false},
		{[]string{"rack", "IS", "r1"}, at("h9", "r1"), nil, true},
		{[]string{"rack", "IS", "r1"}, at("h9", "r10"), nil, false},
		{[]string{"hostname", "IS", "h9"}, at("h9", ""), nil, true},
		{[]string{"rack", "NEAR", "r1"}, at("h9", "r1"), nil, false},
		{[]string{"rack"}, at("h9", "r1"), nil, false},
		{[]string{"rack", "LIKE", "("}, at("h9", "r1"), nil, false},
	} {
		if got := Satisfies(tc.c, tc.candidate, tc.existing); got != tc.want {
			t.Errorf("%v on %s/%s: %v, want %v", tc.c, tc.candidate.Hostname, tc.candidate.Attributes["rack"], got, tc.want)
		}
	}
}
