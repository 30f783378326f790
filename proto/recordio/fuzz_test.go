package recordio

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

const fuzzMax = 1 << 10

// FuzzReader checks that any input yields records within the limit and a
// known error, and that re-framing the records reads back the same records.
func FuzzReader(f *testing.F) {
	f.Add([]byte("5\nhello0\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var got [][]byte
		r := NewReader(bytes.NewReader(in), fuzzMax)
		var err error
		for {
			var rec []byte
			if rec, err = r.ReadRecord(); err != nil {
				break
			}
			if len(rec) > fuzzMax {
				t.Fatalf("record of %d bytes exceeds limit", len(rec))
			}
			got = append(got, rec)
		}
		switch {
		case err == io.EOF, err == io.ErrUnexpectedEOF,
			errors.Is(err, ErrBadLength), errors.Is(err, ErrTooLarge):
		default:
			t.Fatalf("unexpected error %v", err)
		}
		var again []byte
		for _, rec := range got {
			again = Append(again, rec)
		}
		r2 := NewReader(bytes.NewReader(again), fuzzMax)
		for i, want := range got {
			rec, err := r2.ReadRecord()
			if err != nil || !bytes.Equal(rec, want) {
				t.Fatalf("record %d: got %q, %v; want %q", i, rec, err, want)
			}
		}
		if _, err := r2.ReadRecord(); err != io.EOF {
			t.Fatalf("re-framed stream ends with %v, want EOF", err)
		}
	})
}
