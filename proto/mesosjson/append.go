package mesosjson

// Building blocks for encoders that write Mesos JSON of particular
// messages by hand (the master's state reads) and must give the bytes
// Marshal gives.

// AppendString appends s as a JSON string, escaped as Marshal escapes
// strings.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }

// AppendDouble appends a double field's value as Marshal writes it.
func AppendDouble(b []byte, f float64) []byte { return appendFloat(b, f, 64) }
