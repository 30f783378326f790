package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// GET /v2/deployments: a JSON array, as Marathon serves it.
func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) error {
	deps := s.b.Deployments()
	out := make([]state.Deployment, len(deps))
	for i, d := range deps {
		out[i] = withEmptyDeploymentSlices(d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func withEmptyDeploymentSlices(d state.Deployment) state.Deployment {
	if d.AffectedApps == nil {
		d.AffectedApps = []string{}
	}
	if d.AffectedPods == nil {
		d.AffectedPods = []string{}
	}
	if d.Steps == nil {
		d.Steps = []state.Step{}
	}
	if d.CurrentActions == nil {
		d.CurrentActions = []state.CurrentAction{}
	}
	for i, a := range d.CurrentActions {
		if a.ReadinessCheckResults == nil {
			// Copy before writing: the slice belongs to the backend's snapshot.
			ca := make([]state.CurrentAction, len(d.CurrentActions))
			copy(ca, d.CurrentActions)
			ca[i].ReadinessCheckResults = []any{}
			d.CurrentActions = ca
		}
	}
	return d
}

func (s *Server) findDeployment(id string) (state.Deployment, error) {
	for _, d := range s.b.Deployments() {
		if d.ID == id {
			return d, nil
		}
	}
	return state.Deployment{}, &state.NotFoundError{Kind: "Deployment", ID: id}
}

// GET /v2/deployments/{id}
func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) error {
	d, err := s.findDeployment(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withEmptyDeploymentSlices(d))
	return nil
}

// DELETE /v2/deployments/{id}: roll back (200 with the rollback deployment),
// or with ?force=true just stop (202, empty).
func (s *Server) cancelDeployment(w http.ResponseWriter, r *http.Request) error {
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	dep, err := s.b.CancelDeployment(r.Context(), mux.Vars(r)["id"], force)
	if err != nil {
		return err
	}
	s.publishAPIPost(r, nil)
	if force || dep == nil {
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	w.Header().Set("Marathon-Deployment-Id", dep.ID)
	writeJSON(w, http.StatusOK, struct {
		DeploymentID string `json:"deploymentId"`
		Version      string `json:"version"`
	}{dep.ID, dep.Version})
	return nil
}

// GET /v2/queue?embed=lastUnusedOffers
func (s *Server) queue(w http.ResponseWriter, r *http.Request) error {
	withOffers := false
	for _, e := range splitEmbed(r.URL.Query()["embed"]) {
		withOffers = withOffers || e == "lastUnusedOffers"
	}
	entries := s.b.Queue()
	out := make([]state.QueueEntry, len(entries))
	for i, e := range entries {
		if !withOffers {
			e.LastUnusedOffers = nil
		}
		if e.ProcessedOffersSummary.RejectSummaryLastOffers == nil {
			e.ProcessedOffersSummary.RejectSummaryLastOffers = []state.RejectCount{}
		}
		if e.ProcessedOffersSummary.RejectSummaryLaunchAttempt == nil {
			e.ProcessedOffersSummary.RejectSummaryLaunchAttempt = []state.RejectCount{}
		}
		out[i] = e
	}
	writeJSON(w, http.StatusOK, map[string][]state.QueueEntry{"queue": out})
	return nil
}

// DELETE /v2/queue/{appId}/delay: 204.
func (s *Server) resetDelay(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.ResetDelay(pathID(mux.Vars(r)["id"])); err != nil {
		return err
	}
	s.publishAPIPost(r, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /v2/info in Marathon's shape.
func (s *Server) info(w http.ResponseWriter, r *http.Request) error {
	in := s.b.Info()
	var leader any
	if in.Leader != "" {
		leader = in.Leader
	}
	var fwID any
	if in.FrameworkID != "" {
		fwID = in.FrameworkID
	}
	var zk any
	if in.ZK != "" {
		zk = in.ZK
	}
	name := in.Name
	if name == "" {
		name = "marathon"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name":        name,
		"version":     in.Version,
		"buildref":    in.Version,
		"elected":     in.Elected,
		"leader":      leader,
		"frameworkId": fwID,
		"marathon_config": map[string]any{
			"master":           in.Master,
			"zk":               zk,
			"ha":               in.ZK != "",
			"http_port":        in.HTTPPort,
			"framework_name":   name,
			"checkpoint":       true,
			"hostname":         leaderHost(in),
			"mesos_role":       nil,
			"webui_url":        nil,
			"mesos_user":       nil,
			"failover_timeout": 604800,
		},
		"zookeeper_config": map[string]any{
			"zk":              zk,
			"zk_max_versions": 50,
		},
		"http_config": map[string]any{
			"http_port": in.HTTPPort,
		},
		"event_subscriber": map[string]any{
			"type":           "http_callback",
			"http_endpoints": s.cbs.list(),
		},
	})
	return nil
}

func leaderHost(in state.Info) string {
	if in.Leader == "" {
		return ""
	}
	h := in.Leader
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return h
}

// GET /v2/leader
func (s *Server) leader(w http.ResponseWriter, r *http.Request) error {
	in := s.b.Info()
	if in.Leader == "" {
		writeMessage(w, http.StatusNotFound, "There is no leader")
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"leader": in.Leader})
	return nil
}

// DELETE /v2/leader: this replica gives up leadership.
func (s *Server) abdicate(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.Abdicate(); err != nil {
		return err
	}
	writeMessage(w, http.StatusOK, "Leadership abdicated")
	return nil
}

// GET /metrics: Marathon 1.x's JSON metrics document (a Dropwizard-style
// registry dump) with gauges of the framework's state and counters of the
// API's responses.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	apps := s.b.Apps(false)
	var running, staged, healthy, unhealthy, instances int
	for _, a := range apps {
		running += a.TasksRunning
		staged += a.TasksStaged
		healthy += a.TasksHealthy
		unhealthy += a.TasksUnhealthy
		if a.App != nil {
			instances += a.App.Instances
		}
	}
	gauge := func(v int) map[string]int { return map[string]int{"value": v} }
	counter := func(v int64) map[string]int64 { return map[string]int64{"count": v} }
	in := s.b.Info()
	leader := 0
	if in.Elected {
		leader = 1
	}
	doc := map[string]any{
		"version": "4.0.0",
		"gauges": map[string]any{
			"marathon.apps.active.gauge":               gauge(len(apps)),
			"marathon.instances.desired.gauge":         gauge(instances),
			"marathon.tasks.running.gauge":             gauge(running),
			"marathon.tasks.staged.gauge":              gauge(staged),
			"marathon.tasks.healthy.gauge":             gauge(healthy),
			"marathon.tasks.unhealthy.gauge":           gauge(unhealthy),
			"marathon.deployments.active.gauge":        gauge(len(s.b.Deployments())),
			"marathon.instances.launch-queue.gauge":    gauge(len(s.b.Queue())),
			"marathon.leadership.elected.gauge":        gauge(leader),
			"marathon.http.event-streams.active.gauge": gauge(int(s.streams.Load())),
			"marathon.http.event-callbacks.gauge":      gauge(len(s.cbs.list())),
		},
		"counters": map[string]any{
			"marathon.http.responses.1xx.rate":              counter(s.responses[1].Load()),
			"marathon.http.responses.2xx.rate":              counter(s.responses[2].Load()),
			"marathon.http.responses.3xx.rate":              counter(s.responses[3].Load()),
			"marathon.http.responses.4xx.rate":              counter(s.responses[4].Load()),
			"marathon.http.responses.5xx.rate":              counter(s.responses[5].Load()),
			"marathon.http.event-callbacks.dropped.counter": counter(s.cbs.dropped.Load()),
		},
		"histograms": map[string]any{},
		"meters":     map[string]any{},
		"timers":     map[string]any{},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, b)
	return nil
}
