package job

import (
	"encoding/json"
	"fmt"
)

// Constraint operators Chronos knows.
const (
	OpEquals = "EQUALS" // attribute equals value
	OpLike   = "LIKE"   // attribute matches the regular expression value
	OpUnlike = "UNLIKE" // attribute does not match it
)

// MarshalJSON writes c as Chronos does: ["attribute", "OPERATOR", "value"].
func (c Constraint) MarshalJSON() ([]byte, error) {
	return json.Marshal([]string{c.Attribute, c.Operator, c.Value})
}

// UnmarshalJSON reads ["attribute", "OPERATOR", "value"].
func (c *Constraint) UnmarshalJSON(b []byte) error {
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil {
		return fieldErr("constraints", "each constraint is [\"attribute\", \"OPERATOR\", \"value\"]")
	}
	if len(parts) != 3 {
		return fieldErr("constraints", "a constraint has 3 strings, got %d", len(parts))
	}
	*c = Constraint{Attribute: parts[0], Operator: parts[1], Value: parts[2]}
	return nil
}

func (c Constraint) String() string {
	return fmt.Sprintf("[%q, %q, %q]", c.Attribute, c.Operator, c.Value)
}
