package benchharness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"
)

// StateRead is what reading one state endpoint of the loaded master cost:
// the first read of the kind (Cold: it encodes every task and agent for
// that encoding) and the median of the reads after it (Steady: unchanged
// tasks' encodings are reused), each timed from the request to the last
// byte received, over real HTTP.
type StateRead struct {
	Name          string
	Cold, Steady  time.Duration
	ResponseBytes int64
}

// stateReadKinds are the reads measured, in this order: /master/state
// first, so that its first read is cold for the master's copy of its state
// too; the operator reads after it reuse that copy.
var stateReadKinds = []struct {
	name, method, path, contentType, accept, body string
}{
	{"/master/state", http.MethodGet, "/master/state", "", "application/json", ""},
	{"GET_STATE json", http.MethodPost, "/api/v1", "application/json", "application/json", `{"type":"GET_STATE"}`},
	{"GET_STATE protobuf", http.MethodPost, "/api/v1", "application/json", "application/x-protobuf", `{"type":"GET_STATE"}`},
}

// readStates reads each kind of state once cold and then steady times.
func readStates(ctx context.Context, hc *http.Client, master string, steady int) ([]StateRead, error) {
	var out []StateRead
	for _, k := range stateReadKinds {
		var times []time.Duration
		var size int64
		for i := 0; i <= steady; i++ {
			d, n, err := timeRead(ctx, hc, "http://"+master+k.path, k.method, k.contentType, k.accept, k.body)
			if err != nil {
				return out, fmt.Errorf("%s: %w", k.name, err)
			}
			times, size = append(times, d), n
		}
		rest := append([]time.Duration(nil), times[1:]...)
		sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
		r := StateRead{Name: k.name, Cold: times[0], ResponseBytes: size}
		if len(rest) > 0 {
			r.Steady = rest[len(rest)/2]
		}
		out = append(out, r)
	}
	return out, nil
}

func timeRead(ctx context.Context, hc *http.Client, url, method, contentType, accept, body string) (time.Duration, int64, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewBufferString(body))
	if err != nil {
		return 0, 0, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", accept)
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("status %s", resp.Status)
	}
	return time.Since(start), n, nil
}
