package agent

import (
	"encoding/json"
	"net/http"
	"path/filepath"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/agent/executorapi"
	"github.com/agoraproject/agora/agent/files"
)

// newRouter maps the agent's read endpoints, under both the bare paths and
// Mesos's /slave(1)/ prefix, which some tools use.
func (a *Agent) newRouter() http.Handler {
	r := mux.NewRouter()
	for _, prefix := range []string{"", "/slave(1)"} {
		r.HandleFunc(prefix+"/health", a.health).Methods(http.MethodGet, http.MethodHead)
		r.HandleFunc(prefix+"/state", a.state).Methods(http.MethodGet)
		r.HandleFunc(prefix+"/state.json", a.state).Methods(http.MethodGet)
	}
	r.HandleFunc("/version", a.version).Methods(http.MethodGet)
	a.observabilityRoutes(r) // /metrics, /metrics/snapshot, /logging/toggle (metrics.go)
	// /monitor/statistics and the operator API (monitor.go, operator.go)
	a.monitorRoutes(r)
	for _, prefix := range []string{"", "/slave(1)"} { // the executor API (executorapi)
		r.Handle(prefix+executorapi.Path, executorapi.New(execBackend{a}, a.log))
	}
	if fs, err := files.New(filepath.Join(a.cfg.WorkDir, "slaves"), a.log); err == nil {
		fs.Register(r) // Mesos serves /files/* without the /slave(1) prefix
	} else {
		a.log.Error("not serving /files", zap.Error(err))
	}
	return r
}

func (a *Agent) health(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

func (a *Agent) state(w http.ResponseWriter, _ *http.Request) {
	a.writeJSON(w, a.snapshot.Load())
}

func (a *Agent) version(w http.ResponseWriter, _ *http.Request) {
	a.writeJSON(w, map[string]string{"version": Version})
}

func (a *Agent) writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("encoding a response", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
