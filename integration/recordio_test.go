package integration

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxRecord bounds one RecordIO record, so a corrupt length fails fast.
const maxRecord = 64 << 20

// recordReader reads RecordIO, the framing of Mesos event streams:
// "<decimal length>\n<length bytes>", repeated.
type recordReader struct{ r *bufio.Reader }

func newRecordReader(r io.Reader) *recordReader { return &recordReader{bufio.NewReader(r)} }

// next returns the next record, or io.EOF at a clean end of stream.
func (rr *recordReader) next() ([]byte, error) {
	header, err := rr.r.ReadString('\n')
	if err != nil {
		if err == io.EOF && header == "" {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("reading a record length: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(header, "\n"))
	if err != nil || n < 0 || n > maxRecord {
		return nil, fmt.Errorf("bad record length %q", header)
	}
	rec := make([]byte, n)
	if _, err := io.ReadFull(rr.r, rec); err != nil {
		return nil, fmt.Errorf("reading a %d-byte record: %w", n, err)
	}
	return rec, nil
}
