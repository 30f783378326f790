package recordio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		records []string
		want    string
	}{
		{nil, ""},
		{[]string{""}, "0\n"},
		{[]string{"hello"}, "5\nhello"},
		{[]string{"a", "", "{\"type\":\"HEARTBEAT\"}"}, "1\na0\n20\n{\"type\":\"HEARTBEAT\"}"},
		{[]string{"line\nbreak"}, "10\nline\nbreak"},
	}
	for _, tt := range tests {
		var got []byte
		for _, r := range tt.records {
			got = Append(got, []byte(r))
		}
		if string(got) != tt.want {
			t.Errorf("Append(%q) = %q, want %q", tt.records, got, tt.want)
		}
	}
}

func TestWriterMatchesAppend(t *testing.T) {
	big := bytes.Repeat([]byte("x"), coalesceLimit+1)
	records := [][]byte{[]byte("one"), {}, big, []byte("last")}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	var want []byte
	for _, r := range records {
		if err := w.WriteRecord(r); err != nil {
			t.Fatal(err)
		}
		want = Append(want, r)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("Writer output differs from Append")
	}
}

func TestWriterOneWritePerSmallRecord(t *testing.T) {
	var cw countingWriter
	w := NewWriter(&cw)
	for range 3 {
		if err := w.WriteRecord([]byte("event")); err != nil {
			t.Fatal(err)
		}
	}
	if cw.writes != 3 {
		t.Fatalf("writes = %d, want 3", cw.writes)
	}
}

func TestWriterPropagatesError(t *testing.T) {
	boom := errors.New("boom")
	w := NewWriter(failingWriter{boom})
	if err := w.WriteRecord([]byte("x")); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if err := w.WriteRecord(make([]byte, coalesceLimit+1)); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		max     int
		want    []string
		wantErr error
	}{
		{"empty stream", "", 0, nil, io.EOF},
		{"one", "5\nhello", 0, []string{"hello"}, io.EOF},
		{"several", "1\na0\n3\nabc", 0, []string{"a", "", "abc"}, io.EOF},
		{"newline inside", "3\na\nb", 0, []string{"a\nb"}, io.EOF},
		{"leading zeros", "003\nabc", 0, []string{"abc"}, io.EOF},
		{"at the limit", "4\nabcd", 4, []string{"abcd"}, io.EOF},
		{"over the limit", "5\nabcde", 4, nil, ErrTooLarge},
		{"huge length", "9999999999999999999\n", 0, nil, ErrTooLarge},
		{"too many digits", "12345678901234567890\n", 0, nil, ErrBadLength},
		{"truncated header", "12", 0, nil, io.ErrUnexpectedEOF},
		{"truncated body", "5\nhel", 0, nil, io.ErrUnexpectedEOF},
		{"missing body", "1\nab\n", 0, []string{"a"}, ErrBadLength},
		{"empty length", "\nabc", 0, nil, ErrBadLength},
		{"sign", "-1\n", 0, nil, ErrBadLength},
		{"space", " 1\na", 0, nil, ErrBadLength},
		{"carriage return", "1\r\na", 0, nil, ErrBadLength},
		{"hex", "0x1\na", 0, nil, ErrBadLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, one := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tt.in)
				if one {
					src = iotest.OneByteReader(src)
				}
				got, err := readAll(NewReader(src, tt.max))
				if !equal(got, tt.want) {
					t.Errorf("records = %q, want %q", got, tt.want)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			}
		})
	}
}

func TestReaderErrorIsSticky(t *testing.T) {
	r := NewReader(strings.NewReader("x\n1\na"), 0)
	_, err1 := r.ReadRecord()
	_, err2 := r.ReadRecord()
	if !errors.Is(err1, ErrBadLength) || err1 != err2 {
		t.Fatalf("errors = %v, %v; want the same ErrBadLength twice", err1, err2)
	}
}

func TestReaderPropagatesReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("3\nab"), iotest.ErrReader(boom)), 0)
	if _, err := r.ReadRecord(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestReaderRecordsAreIndependent(t *testing.T) {
	r := NewReader(strings.NewReader("1\na1\nb"), 0)
	a, _ := r.ReadRecord()
	b, _ := r.ReadRecord()
	if string(a) != "a" || string(b) != "b" {
		t.Fatalf("got %q, %q", a, b)
	}
}

func readAll(r *Reader) ([]string, error) {
	var out []string
	for {
		rec, err := r.ReadRecord()
		if err != nil {
			return out, err
		}
		out = append(out, string(rec))
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type countingWriter struct{ writes int }

func (c *countingWriter) Write(p []byte) (int, error) { c.writes++; return len(p), nil }

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func BenchmarkWriteRecord(b *testing.B) {
	rec := bytes.Repeat([]byte("e"), 512)
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		_ = w.WriteRecord(rec)
	}
}

func BenchmarkReadRecord(b *testing.B) {
	rec := bytes.Repeat([]byte("e"), 512)
	var stream []byte
	for range 1000 {
		stream = Append(stream, rec)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	src := bytes.NewReader(stream)
	r := NewReader(src, 0)
	for b.Loop() {
		if _, err := r.ReadRecord(); err == io.EOF {
			src.Reset(stream)
			r = NewReader(src, 0)
		}
	}
}
