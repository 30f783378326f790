package recordio

import (
	"io"
	"strconv"
)

// Append appends record to dst, framed, and returns the extended slice.
func Append(dst, record []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(len(record)), 10)
	dst = append(dst, '\n')
	return append(dst, record...)
}

// coalesceLimit is the largest record copied next to its header so that it
// reaches the underlying writer in one Write; larger ones take two.
const coalesceLimit = 64 << 10

// Writer writes framed records to an io.Writer. It is not safe for
// concurrent use.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer framing records onto w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// WriteRecord writes one framed record.
func (w *Writer) WriteRecord(record []byte) error {
	if len(record) <= coalesceLimit {
		w.buf = Append(w.buf[:0], record)
		_, err := w.w.Write(w.buf)
		return err
	}
	w.buf = strconv.AppendUint(w.buf[:0], uint64(len(record)), 10)
	w.buf = append(w.buf, '\n')
	if _, err := w.w.Write(w.buf); err != nil {
		return err
	}
	_, err := w.w.Write(record)
	return err
}
