package fetcher

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads a byte count the way Mesos writes one in flags such as
// --fetcher_cache_size: a whole number with an optional unit B, KB, MB, GB
// or TB, in powers of 1024 ("2GB", "512MB", "1048576").
func ParseSize(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if num, ok := strings.CutSuffix(strings.ToUpper(s), u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<63-1)/mult {
		return 0, fmt.Errorf("invalid size %q: use e.g. 2GB, 512MB or a number of bytes", orig)
	}
	return n * mult, nil
}
