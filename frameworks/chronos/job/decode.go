package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Defaults Chronos applies to a field a client leaves out.
const (
	DefaultRetries = 2
	DefaultShell   = true
)

// FieldError names the field of a job that is wrong and why.
type FieldError struct {
	Field   string // JSON name, e.g. "container.image" or "constraints[0]"
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// wire is Job with pointers where Chronos's default is not Go's zero value.
type wire struct {
	Job
	Shell   *bool `json:"shell"`
	Retries *int  `json:"retries"`
}

// Decode reads a job from Chronos's JSON, applying Chronos's defaults
// (shell true, retries 2) to absent fields. Unknown fields are ignored, as
// Chronos ignores them; a field of the wrong type is an error naming it.
// Decode does not validate: see Validate.
func Decode(data []byte) (Job, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Job{}, errors.New("empty body: want a job as JSON")
	}
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return Job{}, decodeError(err)
	}
	j := w.Job
	j.Shell = DefaultShell
	if w.Shell != nil {
		j.Shell = *w.Shell
	}
	j.Retries = DefaultRetries
	if w.Retries != nil {
		j.Retries = *w.Retries
	}
	return j, nil
}

// decodeError turns encoding/json's errors into one a client can act on.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return fmt.Errorf("want a JSON object, got %s", te.Value)
		}
		field = strings.TrimPrefix(field, "Job.")
		return fieldErr(field, "want %s, got %s", kindOf(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at offset %d: %v", se.Offset, se)
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

func kindOf(k string) string {
	switch k {
	case "float64", "int", "int64":
		return "a number"
	case "slice":
		return "an array"
	case "struct", "ptr":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a " + k
}
