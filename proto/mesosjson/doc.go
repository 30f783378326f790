// Package mesosjson encodes protobuf messages in the JSON dialect of the
// Mesos HTTP APIs and decodes JSON from Mesos clients.
//
// Encoding follows Mesos rather than protojson: keys are proto field names
// (snake_case), enums are written by name, bytes as standard base64, 64-bit
// integers as JSON numbers, and an unset singular field that declares an
// explicit [default = ...] is written with its default unless the field is
// deprecated. Repeated fields appear only when non-empty; map fields are
// JSON objects with sorted keys. NaN and infinities are written as the
// strings "NaN", "Infinity" and "-Infinity", as protojson does.
//
// Decoding is protojson's, lenient: 64-bit integers as numbers or strings,
// enums by name or number, field names in snake_case or lowerCamelCase,
// unknown fields and unknown enum names ignored (left unset), required
// fields checked.
//
// It is not a general JSON library and does not emit protojson's
// well-known-type forms (Any, Timestamp, ...): Mesos messages use none.
package mesosjson
