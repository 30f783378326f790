package agent

import (
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"
	"go.uber.org/zap"
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
