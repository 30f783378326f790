// Package recordio implements RecordIO framing as the Mesos HTTP APIs use it
// on streaming responses: every record is its length in decimal ASCII, a
// newline, then exactly that many bytes.
//
// It frames opaque bytes only: it does not encode or decode messages, and it
// does not flush the underlying writer (HTTP handlers flush after a record).
package recordio
