package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

func itoa(i int) string { return strconv.Itoa(i) }

// wantsText reports whether the client asked for Marathon's tab-separated
// task listing rather than JSON.
func wantsText(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "text/plain") && !strings.Contains(a, "application/json")
}

// GET /v2/apps/{id}/tasks
func (s *Server) appTasks(w http.ResponseWriter, r *http.Request) error {
	st, err := s.b.App(pathID(mux.Vars(r)["id"]))
	if err != nil {
		return err
	}
	if wantsText(r) {
		writeText(w, tasksText([]state.AppStatus{st}))
		return nil
	}
	return writeTasks(w, st.Tasks)
}

func writeTasks(w http.ResponseWriter, tasks []state.Task) error {
	buf := getBuffer()
	defer putBuffer(buf)
	buf.Grow(640*len(tasks) + 16)
	buf.WriteString(`{"tasks":`)
	if err := appendTasks(buf, tasks); err != nil {
		return err
	}
	buf.WriteByte('}')
	writeRaw(w, http.StatusOK, buf.Bytes())
	return nil
}

func writeText(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(body))
}

// tasksText renders Marathon's script-friendly listing: per app and service
// port one line "<app id with / → _>\t<service port>\t<host:port>\t...";
// an app without ports gets one line with " " as its port and the hosts
// only. Only running tasks are listed.
func tasksText(apps []state.AppStatus) string {
	var b strings.Builder
	for _, st := range apps {
		if st.App == nil {
			continue
		}
		clean := strings.ReplaceAll(strings.TrimPrefix(st.App.ID, "/"), "/", "_")
		var running []state.Task
		for _, t := range st.Tasks {
			if t.State == "TASK_RUNNING" {
				running = append(running, t)
			}
		}
		ports := servicePorts(st.App)
		if len(ports) == 0 {
			b.WriteString(clean + "\t \t")
			for _, t := range running {
				b.WriteString(t.Host + "\t")
			}
			b.WriteByte('\n')
			continue
		}
		for i, p := range ports {
			b.WriteString(clean + "\t" + itoa(p) + "\t")
			for _, t := range running {
				hp := 0
				if i < len(t.Ports) {
					hp = t.Ports[i]
				}
				b.WriteString(t.Host + ":" + itoa(hp) + "\t")
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// servicePorts are the app's service ports: its port definitions, or the
// container's port mappings.
func servicePorts(a *app.App) []int {
	var out []int
	for _, p := range a.PortDefinitions {
		out = append(out, p.Port)
	}
	if len(out) == 0 && a.Container != nil {
		for _, pm := range a.Container.PortMappings {
			out = append(out, pm.ServicePort)
		}
	}
	return out
}

// killParams are the query parameters of the kill endpoints.
type killParams struct{ scale, wipe, force bool }

func readKillParams(r *http.Request) (killParams, error) {
	var p killParams
	var err error
	if p.scale, err = boolParam(r, "scale"); err != nil {
		return p, err
	}
	if p.wipe, err = boolParam(r, "wipe"); err != nil {
		return p, err
	}
	if p.force, err = boolParam(r, "force"); err != nil {
		return p, err
	}
	if p.scale && p.wipe {
		return p, errBadRequest("You cannot use scale and wipe at the same time.")
	}
	return p, nil
}

// kill kills tasks and answers as Marathon does: with scale the deployment
// that lowered the instance counts, otherwise the killed tasks (one, when
// single is set, as {"task": ...}).
func (s *Server) kill(w http.ResponseWriter, r *http.Request, ids []string, p killParams, single bool) error {
	killed, dep, err := s.b.KillTasks(r.Context(), ids, p.scale, p.wipe, p.force)
	if err != nil {
		return err
	}
	s.publishAPIPost(r, nil)
	if p.scale && dep != nil {
		writeDeployment(w, http.StatusOK, *dep)
		return nil
	}
	if single && len(killed) == 1 {
		writeJSON(w, http.StatusOK, map[string]state.Task{"task": withEmptySlices(killed[0])})
		return nil
	}
	return writeTasks(w, killed)
}

// DELETE /v2/apps/{id}/tasks?host=&scale=&wipe=: kill the app's tasks, or
// those on one host.
func (s *Server) killAppTasks(w http.ResponseWriter, r *http.Request) error {
	p, err := readKillParams(r)
	if err != nil {
		return err
	}
	st, err := s.b.App(pathID(mux.Vars(r)["id"]))
	if err != nil {
		return err
	}
	host := r.URL.Query().Get("host")
	var ids []string
	for _, t := range st.Tasks {
		if host == "" || host == "*" || t.Host == host {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return writeTasks(w, nil)
	}
	return s.kill(w, r, ids, p, false)
}

// DELETE /v2/apps/{id}/tasks/{taskId}
func (s *Server) killAppTask(w http.ResponseWriter, r *http.Request) error {
	p, err := readKillParams(r)
	if err != nil {
		return err
	}
	v := mux.Vars(r)
	id, taskID := pathID(v["id"]), v["taskId"]
	if _, err := s.b.App(id); err != nil {
		return err
	}
	if owner, ok := app.AppIDFromTaskID(taskID); !ok || owner != id {
		return &state.NotFoundError{Kind: "Task", ID: taskID}
	}
	return s.kill(w, r, []string{taskID}, p, true)
}

// statusStates maps ?status= values to Mesos task states.
var statusStates = map[string][]string{
	"staging":              {"TASK_STAGING"},
	"starting":             {"TASK_STARTING"},
	"running":              {"TASK_RUNNING"},
	"killing":              {"TASK_KILLING"},
	"unreachable":          {"TASK_UNREACHABLE"},
	"unreachable_inactive": {"TASK_UNREACHABLE"},
	"finished":             {"TASK_FINISHED"},
	"failed":               {"TASK_FAILED"},
	"killed":               {"TASK_KILLED"},
	"error":                {"TASK_ERROR"},
	"dropped":              {"TASK_DROPPED"},
	"gone":                 {"TASK_GONE"},
	"gone_by_operator":     {"TASK_GONE_BY_OPERATOR"},
	"unknown":              {"TASK_UNKNOWN"},
}

// GET /v2/tasks?status=running&status=staging: every task, or those in the
// given states. Unknown status values are ignored, as in Marathon.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	want := map[string]bool{}
	for _, v := range splitEmbed(r.URL.Query()["status"]) {
		for _, st := range statusStates[strings.ToLower(v)] {
			want[st] = true
		}
	}
	if wantsText(r) {
		apps := s.b.Apps(true)
		writeText(w, tasksText(apps))
		return nil
	}
	tasks := s.b.Tasks()
	if len(want) > 0 {
		var keep []state.Task
		for _, t := range tasks {
			if want[t.State] {
				keep = append(keep, t)
			}
		}
		tasks = keep
	}
	return writeTasks(w, tasks)
}

// POST /v2/tasks/delete?scale=&wipe= with {"ids": [...]}
func (s *Server) deleteTasks(w http.ResponseWriter, r *http.Request) error {
	p, err := readKillParams(r)
	if err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return &badRequest{status: http.StatusBadRequest, message: "Invalid JSON",
			details: []state.Violation{{Path: "/ids", Errors: []string{"expected {\"ids\": [task IDs]}: " + err.Error()}}}}
	}
	if len(req.IDs) == 0 {
		return invalid("/ids", "must not be empty")
	}
	return s.kill(w, r, req.IDs, p, false)
}
