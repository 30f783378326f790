package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
)

// put creates or replaces a job of kind k: 204, or 400 naming the problem.
func (h *handlers) put(k job.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
			return
		}
		j, err := job.Decode(body)
		if err == nil {
			err = j.Validate(k)
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, strings.ReplaceAll(err.Error(), "\n", "; "))
			return
		}
		if err := h.b.PutJob(r.Context(), j); err != nil {
			h.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// render is a job as Chronos's GET endpoints write it.
func render(v runner.JobView) job.Job { return v.Job.Normalized() }

func (h *handlers) jobs(w http.ResponseWriter, r *http.Request) {
	vs, err := h.b.Jobs(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]job.Job, 0, len(vs))
	for _, v := range vs {
		out = append(out, render(v))
	}
	writeJSON(w, http.StatusOK, out)
}

type summaryItem struct {
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	State    string   `json:"state"`
	Schedule string   `json:"schedule"`
	Parents  []string `json:"parents"`
	Disabled bool     `json:"disabled"`
}

func (h *handlers) summary(w http.ResponseWriter, r *http.Request) {
	vs, err := h.b.Jobs(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := struct {
		Jobs []summaryItem `json:"jobs"`
	}{Jobs: []summaryItem{}}
	for _, v := range vs {
		ps := v.Job.Parents
		if ps == nil {
			ps = []string{}
		}
		out.Jobs = append(out.Jobs, summaryItem{v.Job.Name, v.Status, v.State, v.Job.Schedule, ps, v.Job.Disabled})
	}
	writeJSON(w, http.StatusOK, out)
}

// search filters jobs as Chronos's /jobs/search: name and command are
// case-insensitive substrings; any matches name, command, description or
// owner; limit (default 10) and offset page the result.
func (h *handlers) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := 10, 0
	for _, p := range []struct {
		name string
		v    *int
	}{{"limit", &limit}, {"offset", &offset}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("%s: want a non-negative integer, got %q", p.name, s))
				return
			}
			*p.v = n
		}
	}
	vs, err := h.b.Jobs(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	has := func(field, sub string) bool { return strings.Contains(strings.ToLower(field), strings.ToLower(sub)) }
	out := []job.Job{}
	for _, v := range vs {
		j := v.Job
		if n := q.Get("name"); n != "" && !has(j.Name, n) {
			continue
		}
		if c := q.Get("command"); c != "" && !has(j.Command, c) {
			continue
		}
		if a := q.Get("any"); a != "" && !has(j.Name, a) && !has(j.Command, a) && !has(j.Description, a) && !has(j.Owner, a) {
			continue
		}
		out = append(out, render(v))
	}
	out = out[min(offset, len(out)):]
	out = out[:min(limit, len(out))]
	writeJSON(w, http.StatusOK, out)
}

func (h *handlers) getJob(w http.ResponseWriter, r *http.Request) {
	v, err := h.b.Job(r.Context(), mux.Vars(r)["name"])
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, render(v))
}

// runJob starts a run now; ?arguments= (space-separated) replaces the
// job's arguments for that run only.
func (h *handlers) runJob(w http.ResponseWriter, r *http.Request) {
	var args []string
	if q := r.URL.Query(); q.Has("arguments") {
		args = strings.Fields(q.Get("arguments"))
		if args == nil {
			args = []string{}
		}
	}
	h.noContent(w, r, h.b.RunJob(r.Context(), mux.Vars(r)["name"], args))
}

func (h *handlers) deleteJob(w http.ResponseWriter, r *http.Request) {
	h.noContent(w, r, h.b.DeleteJob(r.Context(), mux.Vars(r)["name"]))
}

func (h *handlers) success(w http.ResponseWriter, r *http.Request) {
	h.noContent(w, r, h.b.MarkSuccess(r.Context(), mux.Vars(r)["name"]))
}

func (h *handlers) killTasks(w http.ResponseWriter, r *http.Request) {
	h.noContent(w, r, h.b.KillTasks(r.Context(), mux.Vars(r)["name"]))
}

func (h *handlers) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
