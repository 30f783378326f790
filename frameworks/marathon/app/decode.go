package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DecodeError is a request body that is not an app definition at all:
// malformed JSON or a value of the wrong JSON type. The API answers it with
// 400 and {"message", "details":[{"path", "errors"}]}.
type DecodeError struct {
	Path string // JSON path as Marathon writes it, e.g. "/cpus", "/env/DB" ("" for the whole body)
	Msg  string
}

func (e *DecodeError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Decode parses one app definition as Marathon 1.x clients send it. Unknown
// fields are ignored (clients send read-only fields such as tasksRunning
// back); null for a list or object means "not given".
//
// Fields the body leaves out take Marathon's defaults (instances 1, cpus 1,
// mem 128, one port definition with port 0, ...); the result is not yet
// normalized or validated.
func Decode(data []byte) (*App, error) {
	a := defaults()
	if err := decodeInto(data, a); err != nil {
		return nil, err
	}
	// Without any port information Marathon gives an app one port; an
	// explicit [] means none. Presence needs the raw keys: null and absent
	// both decode to nil.
	if a.PortDefinitions == nil && a.Ports == nil {
		var keys map[string]json.RawMessage
		if json.Unmarshal(data, &keys) == nil && isNull(keys["portDefinitions"]) && isNull(keys["ports"]) {
			a.PortDefinitions = []PortDefinition{{Port: 0, Protocol: "tcp"}}
		}
	}
	return a, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// DecodeList parses a JSON array of app definitions (PUT /v2/apps).
func DecodeList(data []byte) ([]*App, error) {
	var raws []json.RawMessage
	if err := decodeInto(data, &raws); err != nil {
		return nil, err
	}
	out := make([]*App, 0, len(raws))
	for i, r := range raws {
		a, err := Decode(r)
		if err != nil {
			var de *DecodeError
			if errors.As(err, &de) {
				return nil, &DecodeError{Path: fmt.Sprintf("(%d)%s", i, de.Path), Msg: de.Msg}
			}
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func decodeInto(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return &DecodeError{Msg: "Invalid JSON: the request body is empty"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return toDecodeError(err)
	}
	if dec.More() {
		return &DecodeError{Msg: "Invalid JSON: unexpected data after the top-level value"}
	}
	return nil
}

// toDecodeError turns encoding/json's errors into a path and a message.
func toDecodeError(err error) error {
	var de *DecodeError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &de):
		return de
	case errors.As(err, &se):
		return &DecodeError{Msg: fmt.Sprintf("Invalid JSON: %v (at byte %d)", se, se.Offset)}
	case errors.As(err, &te):
		return &DecodeError{Path: jsonPath(te.Field), Msg: fmt.Sprintf("error.expected.%s", jsonKind(te.Type.Kind().String()))}
	default:
		return &DecodeError{Msg: "Invalid JSON: " + err.Error()}
	}
}

// jsonPath renders encoding/json's dotted field path ("container.docker.image")
// as Marathon's "/container/docker/image".
func jsonPath(field string) string {
	if field == "" {
		return ""
	}
	return "/" + strings.ReplaceAll(field, ".", "/")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "jsstring"
	case "bool":
		return "jsboolean"
	case "slice", "array":
		return "jsarray"
	case "map", "struct", "ptr":
		return "jsobject"
	default:
		return "jsnumber"
	}
}
