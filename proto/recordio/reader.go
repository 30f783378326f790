package recordio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxRecord is the record size limit used when NewReader is given a
// limit of zero or less.
const DefaultMaxRecord = 64 << 20

// maxDigits bounds the header; more digits than any int64 can hold is a
// malformed stream, not a large record.
const maxDigits = 19

// ErrBadLength reports a record header that is not a decimal length
// followed by a newline.
var ErrBadLength = errors.New("recordio: malformed record length")

// ErrTooLarge reports a record longer than the reader's limit.
var ErrTooLarge = errors.New("recordio: record too large")

// Reader reads framed records from an io.Reader. It is not safe for
// concurrent use. After any error other than io.EOF the stream is out of
// step, and every later call returns the same error.
type Reader struct {
	br  *bufio.Reader
	max int
	err error
}

// NewReader returns a Reader that rejects records longer than maxRecord
// bytes (DefaultMaxRecord when maxRecord <= 0).
func NewReader(r io.Reader, maxRecord int) *Reader {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	return &Reader{br: bufio.NewReader(r), max: maxRecord}
}

// ReadRecord returns the next record in a newly allocated slice the caller
// owns. It returns io.EOF when the stream ends between records,
// io.ErrUnexpectedEOF when it ends inside one, and an error wrapping
// ErrBadLength or ErrTooLarge for a bad header.
func (r *Reader) ReadRecord() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	n, err := r.readLength()
	if err != nil {
		r.err = err
		return nil, err
	}
	rec := make([]byte, n)
	if _, err := io.ReadFull(r.br, rec); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		r.err = err
		return nil, err
	}
	return rec, nil
}

func (r *Reader) readLength() (int, error) {
	var n uint64
	digits := 0
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			if err == io.EOF && digits > 0 {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		switch {
		case c == '\n' && digits > 0:
			if n > uint64(r.max) {
				return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, r.max)
			}
			return int(n), nil
		case c >= '0' && c <= '9' && digits < maxDigits:
			n = n*10 + uint64(c-'0')
			digits++
		case c >= '0' && c <= '9':
			return 0, fmt.Errorf("%w: more than %d digits", ErrBadLength, maxDigits)
		case c == '\n':
			return 0, fmt.Errorf("%w: empty length", ErrBadLength)
		default:
			return 0, fmt.Errorf("%w: unexpected byte %q after %d digits", ErrBadLength, c, digits)
		}
	}
}
