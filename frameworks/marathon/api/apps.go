package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// GET /v2/apps always carries counts and deployments (Marathon adds them to
// whatever embed asks for); GET /v2/apps/{id} also tasks and the last
// failure.
var (
	listEmbed = appEmbed{counts: true, deployments: true}
	oneEmbed  = appEmbed{counts: true, deployments: true, tasks: true, lastTaskFailure: true}
)

func (e appEmbed) or(o appEmbed) appEmbed {
	return appEmbed{
		tasks: e.tasks || o.tasks, counts: e.counts || o.counts, deployments: e.deployments || o.deployments,
		lastTaskFailure: e.lastTaskFailure || o.lastTaskFailure, taskStats: e.taskStats || o.taskStats,
		readiness: e.readiness || o.readiness,
	}
}

// GET /v2/apps?cmd=&id=&label=&embed=
func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	embed := parseAppEmbed(q["embed"], "apps.", "app.").or(listEmbed)
	var sel labelSelector
	if l := q.Get("label"); l != "" {
		var err error
		if sel, err = parseLabelSelector(l); err != nil {
			return errBadRequest(err.Error())
		}
	}
	cmd, id := q.Get("cmd"), q.Get("id")
	apps := s.b.Apps(embed.needsTasks())
	buf := getBuffer()
	defer putBuffer(buf)
	size := 1024 * (len(apps) + 1)
	if embed.tasks {
		for i := range apps {
			size += 640 * len(apps[i].Tasks)
		}
	}
	buf.Grow(size)
	buf.WriteString(`{"apps":[`)
	n := 0
	for i := range apps {
		st := &apps[i]
		if st.App == nil {
			continue
		}
		if cmd != "" && (st.App.Cmd == nil || !strings.Contains(*st.App.Cmd, cmd)) {
			continue
		}
		if id != "" && !strings.Contains(st.App.ID, id) {
			continue
		}
		if sel != nil && !sel.matches(st.App.Labels) {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		if err := s.appendApp(buf, st, embed); err != nil {
			return err
		}
	}
	buf.WriteString("]}")
	writeRaw(w, http.StatusOK, buf.Bytes())
	return nil
}

// GET /v2/apps/{id}; GET /v2/apps/{group}/* lists the apps under a group
// as {"*": [...]}.
func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	if v := mux.Vars(r)["id"]; v == "*" || strings.HasSuffix(v, "/*") {
		return s.groupApps(w, r, pathID(strings.TrimSuffix(v, "*")))
	}
	st, err := s.b.App(pathID(mux.Vars(r)["id"]))
	if err != nil {
		return err
	}
	embed := parseAppEmbed(r.URL.Query()["embed"], "apps.", "app.").or(oneEmbed)
	var buf bytes.Buffer
	buf.WriteString(`{"app":`)
	if err := s.appendApp(&buf, &st, embed); err != nil {
		return err
	}
	buf.WriteByte('}')
	writeRaw(w, http.StatusOK, buf.Bytes())
	return nil
}

func (s *Server) groupApps(w http.ResponseWriter, r *http.Request, group string) error {
	embed := parseAppEmbed(r.URL.Query()["embed"], "apps.", "app.").or(listEmbed)
	apps := s.b.Apps(embed.needsTasks())
	buf := getBuffer()
	defer putBuffer(buf)
	buf.WriteString(`{"*":[`)
	n := 0
	for i := range apps {
		if apps[i].App == nil || !within(apps[i].App.ID, group) || apps[i].App.ID == group {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		if err := s.appendApp(buf, &apps[i], embed); err != nil {
			return err
		}
	}
	if n == 0 && group != "/" {
		if buildTree(apps, s.b.Groups()).find(group) == nil {
			return &state.NotFoundError{Kind: "Group", ID: group}
		}
	}
	buf.WriteString("]}")
	writeRaw(w, http.StatusOK, buf.Bytes())
	return nil
}

// decodeApp decodes, normalizes and validates one full app definition. id,
// when set, is the ID from the URL and wins over the body's. prefix places
// error paths inside a larger body.
func decodeApp(body []byte, id, prefix string) (*app.App, error) {
	a, err := app.Decode(body)
	if err != nil {
		return nil, invalidJSON(err, prefix)
	}
	if id != "" {
		a.ID = id
	}
	a.Version, a.VersionInfo = "", nil
	a.Normalize()
	if vs := a.Validate(); len(vs) > 0 {
		return nil, &state.InvalidError{Violations: prefixViolations(vs, prefix)}
	}
	return a, nil
}

// POST /v2/apps
func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	a, err := decodeApp(body, "", "")
	if err != nil {
		return err
	}
	if _, err := s.b.App(a.ID); err == nil {
		return &state.ConflictError{Message: "An app with id [" + a.ID + "] already exists."}
	}
	dep, err := s.b.Deploy(r.Context(), state.Change{Upsert: []*app.App{a}}, force)
	if err != nil {
		return err
	}
	s.publishAPIPost(r, a)
	out := a.Clone()
	out.Version = dep.Version
	var buf bytes.Buffer
	st := state.AppStatus{App: out, Deployments: []string{dep.ID}}
	if err := s.appendApp(&buf, &st, appEmbed{counts: true, deployments: true, tasks: true}); err != nil {
		return err
	}
	w.Header().Set("Location", "/v2/apps"+a.ID)
	w.Header().Set("Marathon-Deployment-Id", dep.ID)
	writeRaw(w, http.StatusCreated, buf.Bytes())
	return nil
}

// deploymentResult is the body of writes that start a deployment.
type deploymentResult struct {
	Version      string `json:"version"`
	DeploymentID string `json:"deploymentId"`
}

func writeDeployment(w http.ResponseWriter, status int, dep state.Deployment) {
	w.Header().Set("Marathon-Deployment-Id", dep.ID)
	writeJSON(w, status, deploymentResult{Version: dep.Version, DeploymentID: dep.ID})
}

// topLevelKeys returns the keys of a JSON object body, or a 400 when the
// body is not one.
func topLevelKeys(body []byte, prefix string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		if _, derr := app.Decode(body); derr != nil {
			return nil, invalidJSON(derr, prefix)
		}
		return nil, &badRequest{status: http.StatusBadRequest, message: "Invalid JSON",
			details: []state.Violation{{Path: joinPath(prefix, "/"), Errors: []string{"expected a JSON object"}}}}
	}
	return m, nil
}

// resolveUpdate turns one PUT/PATCH body for app id into the definition to
// deploy. It reports whether the app is new.
//
//   - {"version": v} (with at most an "id") rolls back to stored version v;
//   - partial (the default): present fields replace the current ones;
//   - otherwise the body is the whole new definition.
func (s *Server) resolveUpdate(id string, body []byte, partial bool, prefix string) (*app.App, bool, error) {
	keys, err := topLevelKeys(body, prefix)
	if err != nil {
		return nil, false, err
	}
	cur, curErr := s.b.App(id)
	var nf *state.NotFoundError
	if curErr != nil && !errors.As(curErr, &nf) {
		return nil, false, curErr
	}
	exists := curErr == nil
	if raw, ok := keys["version"]; ok && (len(keys) == 1 || len(keys) == 2 && keys["id"] != nil) {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, false, &badRequest{status: http.StatusBadRequest, message: "Invalid JSON",
				details: []state.Violation{{Path: joinPath(prefix, "/version"), Errors: []string{"must be a string"}}}}
		}
		old, err := s.b.AppVersion(id, v)
		if err != nil {
			return nil, false, err
		}
		old = old.Clone()
		old.ID = id
		old.Version, old.VersionInfo = "", nil
		return old, !exists, nil
	}
	if !partial || !exists {
		a, err := decodeApp(body, id, prefix)
		return a, !exists, err
	}
	a, err := app.Merge(cur.App, body)
	if err != nil {
		return nil, false, invalidJSON(err, prefix)
	}
	a.ID = id
	a.Version, a.VersionInfo = "", nil
	if vs := a.Validate(); len(vs) > 0 {
		return nil, false, &state.InvalidError{Violations: prefixViolations(vs, prefix)}
	}
	return a, false, nil
}

// PUT and PATCH /v2/apps/{id}. PUT creates a missing app; PATCH does not.
func (s *Server) updateApp(w http.ResponseWriter, r *http.Request) error {
	id := pathID(mux.Vars(r)["id"])
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	partial := true
	if r.Method == http.MethodPut {
		if v := r.URL.Query().Get("partialUpdate"); v != "" {
			if partial, err = boolParam(r, "partialUpdate"); err != nil {
				return err
			}
		}
	} else if _, err := s.b.App(id); err != nil {
		return err
	}
	a, created, err := s.resolveUpdate(id, body, partial, "")
	if err != nil {
		return err
	}
	dep, err := s.b.Deploy(r.Context(), state.Change{Upsert: []*app.App{a}}, force)
	if err != nil {
		return err
	}
	s.publishAPIPost(r, a)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v2/apps"+id)
	}
	writeDeployment(w, status, dep)
	return nil
}

// PUT and PATCH /v2/apps: a JSON array of (partial) app definitions, each
// with its id, deployed together.
func (s *Server) updateApps(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	partial := true
	if r.Method == http.MethodPut && r.URL.Query().Get("partialUpdate") != "" {
		if partial, err = boolParam(r, "partialUpdate"); err != nil {
			return err
		}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return &badRequest{status: http.StatusBadRequest, message: "Invalid JSON",
			details: []state.Violation{{Path: "/", Errors: []string{"expected a JSON array of apps: " + err.Error()}}}}
	}
	var apps []*app.App
	seen := map[string]bool{}
	for i, raw := range items {
		prefix := "/(" + itoa(i) + ")"
		var head struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return invalidJSON(err, prefix)
		}
		if strings.Trim(head.ID, "/") == "" {
			return invalid(prefix+"/id", "must not be empty")
		}
		id := pathID(head.ID)
		if seen[id] {
			return invalid(prefix+"/id", "app "+id+" appears more than once")
		}
		seen[id] = true
		a, _, err := s.resolveUpdate(id, raw, partial, prefix)
		if err != nil {
			return err
		}
		apps = append(apps, a)
	}
	if len(apps) == 0 {
		return invalid("/", "at least one app is required")
	}
	dep, err := s.b.Deploy(r.Context(), state.Change{Upsert: apps}, force)
	if err != nil {
		return err
	}
	for _, a := range apps {
		s.publishAPIPost(r, a)
	}
	writeDeployment(w, http.StatusOK, dep)
	return nil
}

// DELETE /v2/apps/{id}
func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	id := pathID(mux.Vars(r)["id"])
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	st, err := s.b.App(id)
	if err != nil {
		return err
	}
	dep, err := s.b.Deploy(r.Context(), state.Change{Delete: []string{id}}, force)
	if err != nil {
		return err
	}
	s.publishAPIPost(r, st.App)
	writeDeployment(w, http.StatusOK, dep)
	return nil
}

// POST /v2/apps/{id}/restart
func (s *Server) restartApp(w http.ResponseWriter, r *http.Request) error {
	id := pathID(mux.Vars(r)["id"])
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	st, err := s.b.App(id)
	if err != nil {
		return err
	}
	dep, err := s.b.Deploy(r.Context(), state.Change{Restart: []string{id}}, force)
	if err != nil {
		return err
	}
	s.publishAPIPost(r, st.App)
	writeDeployment(w, http.StatusOK, dep)
	return nil
}

// GET /v2/apps/{id}/versions
func (s *Server) appVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.b.AppVersions(pathID(mux.Vars(r)["id"]))
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []string{}
	}
	writeJSON(w, http.StatusOK, map[string][]string{"versions": vs})
	return nil
}

// GET /v2/apps/{id}/versions/{version}: the definition as it was.
func (s *Server) appVersion(w http.ResponseWriter, r *http.Request) error {
	v := mux.Vars(r)
	version, err := url.PathUnescape(v["version"])
	if err != nil {
		return errBadRequest("invalid version in the path")
	}
	a, err := s.b.AppVersion(pathID(v["id"]), version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// publishAPIPost emits Marathon's api_post_event for a write.
func (s *Server) publishAPIPost(r *http.Request, a *app.App) {
	body, err := json.Marshal(struct {
		EventType     string   `json:"eventType"`
		Timestamp     string   `json:"timestamp"`
		ClientIP      string   `json:"clientIp"`
		URI           string   `json:"uri"`
		AppDefinition *app.App `json:"appDefinition,omitempty"`
	}{"api_post_event", timestamp(s.cfg.Now()), clientIP(r), r.URL.Path, a})
	if err != nil {
		return
	}
	s.b.Publish(state.Event{Type: "api_post_event", Body: body})
}
