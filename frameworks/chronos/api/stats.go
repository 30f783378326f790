package api

import (
	"encoding/csv"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/mux"

	"github.com/agoraproject/agora/frameworks/chronos/dag"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
)

// histogram is Chronos's run-time statistics of a job's successful runs
// in the kept history, in milliseconds.
type histogram struct {
	P75    float64 `json:"75thPercentile"`
	P95    float64 `json:"95thPercentile"`
	P98    float64 `json:"98thPercentile"`
	P99    float64 `json:"99thPercentile"`
	Median float64 `json:"median"`
	Mean   float64 `json:"mean"`
	Count  int     `json:"count"`
}

func (h *handlers) stat(w http.ResponseWriter, r *http.Request) {
	v, err := h.b.Job(r.Context(), mux.Vars(r)["name"])
	if err != nil {
		h.fail(w, r, err)
		return
	}
	history := v.History
	if history == nil {
		history = []runner.Record{}
	}
	writeJSON(w, http.StatusOK, struct {
		Histogram       histogram       `json:"histogram"`
		TaskStatHistory []runner.Record `json:"taskStatHistory"`
		Running         []string        `json:"running"`
	}{stats(history), history, append([]string{}, v.Running...)})
}

func stats(history []runner.Record) histogram {
	var ms []float64
	for _, rec := range history {
		if rec.Status != "success" {
			continue
		}
		start, err1 := time.Parse(time.RFC3339Nano, rec.StartTime)
		end, err2 := time.Parse(time.RFC3339Nano, rec.EndTime)
		if err1 == nil && err2 == nil {
			ms = append(ms, float64(end.Sub(start).Milliseconds()))
		}
	}
	if len(ms) == 0 {
		return histogram{}
	}
	slices.Sort(ms)
	pct := func(p float64) float64 { return ms[min(int(p*float64(len(ms))), len(ms)-1)] }
	var sum float64
	for _, m := range ms {
		sum += m
	}
	return histogram{P75: pct(.75), P95: pct(.95), P98: pct(.98), P99: pct(.99), Median: pct(.5), Mean: sum / float64(len(ms)), Count: len(ms)}
}

func (h *handlers) graph(r *http.Request) (*dag.Graph, map[string]runner.JobView, error) {
	vs, err := h.b.Jobs(r.Context())
	if err != nil {
		return nil, nil, err
	}
	edges := map[string][]string{}
	byName := map[string]runner.JobView{}
	for _, v := range vs {
		edges[v.Job.Name] = v.Job.Parents
		byName[v.Job.Name] = v
	}
	return dag.New(edges), byName, nil
}

// dot writes the dependency graph for Graphviz, nodes coloured by the
// latest run: green success, red failure, white fresh.
func (h *handlers) dot(w http.ResponseWriter, r *http.Request) {
	g, byName, err := h.graph(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	colors := map[string]string{"success": "lightgreen", "failure": "red", "fresh": "white"}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(g.Dot(func(n string) string { return colors[byName[n].Status] })))
}

// csv writes "node,<name>,<status>,<state>" per job and
// "link,<parent>,<child>" per dependency, as Chronos's /graph/csv.
func (h *handlers) csv(w http.ResponseWriter, r *http.Request) {
	g, byName, err := h.graph(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	cw := csv.NewWriter(w)
	order := g.Order()
	for _, n := range order {
		_ = cw.Write([]string{"node", n, byName[n].Status, byName[n].State})
	}
	for _, n := range order {
		for _, c := range g.Children(n) {
			_ = cw.Write([]string{"link", n, c})
		}
	}
	cw.Flush()
}

func (h *handlers) leader(w http.ResponseWriter, r *http.Request) {
	leader, ok := "", false
	if h.opts.Leader != nil {
		leader, ok = h.opts.Leader()
	}
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "no leader elected")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"leader": leader})
}

func (h *handlers) ping(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("pong\n"))
}
