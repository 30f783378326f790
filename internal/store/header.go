package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// header is what a chunked value's key znode holds after its tag byte.
type header struct {
	Gen    string `json:"gen"`
	Chunks int    `json:"chunks"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

func newHeader(gen string, value []byte) header {
	sum := sha256.Sum256(value)
	return header{
		Gen:    gen,
		Chunks: (len(value) + ChunkSize - 1) / ChunkSize,
		Size:   len(value),
		SHA256: hex.EncodeToString(sum[:]),
	}
}

func (h header) encode() []byte {
	b, _ := json.Marshal(h) // a struct of strings and ints always marshals
	return b
}

// maxValue bounds a header's size field so that a corrupt header cannot
// make Get allocate without limit.
const maxValue = 1 << 30

func decodeHeader(b []byte) (header, error) {
	var h header
	if err := json.Unmarshal(b, &h); err != nil {
		return header{}, fmt.Errorf("chunked value header: %w", err)
	}
	switch {
	case h.Gen == "" || len(h.Gen) > 100:
		return header{}, fmt.Errorf("chunked value header: bad gen %q", h.Gen)
	case h.Size < 0 || h.Size > maxValue:
		return header{}, fmt.Errorf("chunked value header: size %d out of range", h.Size)
	case h.Chunks != (h.Size+ChunkSize-1)/ChunkSize:
		return header{}, fmt.Errorf("chunked value header: %d chunks for %d bytes", h.Chunks, h.Size)
	}
	return h, nil
}

// verify checks a reassembled value against the header.
func (h header) verify(v []byte) error {
	sum := sha256.Sum256(v)
	if len(v) != h.Size || hex.EncodeToString(sum[:]) != h.SHA256 {
		return fmt.Errorf("chunked value: %d bytes read, %d expected, or checksum mismatch", len(v), h.Size)
	}
	return nil
}
