package cli

import (
	"context"
	"sort"
)

// masterState is the part of the master's /master/state (Mesos's
// state.json shape) the CLI reads.
type masterState struct {
	Version             string          `json:"version"`
	ID                  string          `json:"id"`
	PID                 string          `json:"pid"`
	Hostname            string          `json:"hostname"`
	Leader              string          `json:"leader"`
	StartTime           float64         `json:"start_time"`
	Agents              []agentJSON     `json:"slaves"`
	Frameworks          []frameworkJSON `json:"frameworks"`
	CompletedFrameworks []frameworkJSON `json:"completed_frameworks"`
}

type agentJSON struct {
	ID         string         `json:"id"`
	PID        string         `json:"pid"`
	Hostname   string         `json:"hostname"`
	Port       int            `json:"port"`
	Active     bool           `json:"active"`
	Version    string         `json:"version"`
	Resources  map[string]any `json:"resources"`
	Used       map[string]any `json:"used_resources"`
	Offered    map[string]any `json:"offered_resources"`
	Attributes map[string]any `json:"attributes"`
}

type frameworkJSON struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Roles          []string       `json:"roles"`
	Active         bool           `json:"active"`
	Hostname       string         `json:"hostname"`
	WebUIURL       string         `json:"webui_url"`
	Used           map[string]any `json:"used_resources"`
	Offered        map[string]any `json:"offered_resources"`
	Tasks          []taskJSON     `json:"tasks"`
	Unreachable    []taskJSON     `json:"unreachable_tasks"`
	CompletedTasks []taskJSON     `json:"completed_tasks"`
	Offers         []any          `json:"offers"`
}

type taskJSON struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	FrameworkID string         `json:"framework_id"`
	ExecutorID  string         `json:"executor_id"`
	AgentID     string         `json:"slave_id"`
	State       string         `json:"state"`
	Resources   map[string]any `json:"resources"`
	Statuses    []struct {
		State     string  `json:"state"`
		Timestamp float64 `json:"timestamp"`
	} `json:"statuses"`
}

func fetchMasterState(ctx context.Context, o *options) (*masterState, error) {
	var s masterState
	base, err := masterBase(ctx, o)
	if err != nil {
		return nil, err
	}
	c, err := newClient("master", base, o)
	if err != nil {
		return nil, err
	}
	if err := c.get(ctx, "/master/state", &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// tasks returns the state's tasks, live ones first, each group sorted by ID;
// finished ones only when all is set.
func (s *masterState) tasks(all bool) []taskJSON {
	var live, done []taskJSON
	for _, f := range append(append([]frameworkJSON{}, s.Frameworks...), s.CompletedFrameworks...) {
		live = append(live, f.Tasks...)
		live = append(live, f.Unreachable...)
		if all {
			done = append(done, f.CompletedTasks...)
		}
	}
	byID := func(ts []taskJSON) {
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	}
	byID(live)
	byID(done)
	return append(live, done...)
}

func (s *masterState) agent(id string) (agentJSON, bool) {
	for _, a := range s.Agents {
		if a.ID == id {
			return a, true
		}
	}
	return agentJSON{}, false
}

func (s *masterState) frameworkName(id string) string {
	for _, f := range append(append([]frameworkJSON{}, s.Frameworks...), s.CompletedFrameworks...) {
		if f.ID == id {
			return f.Name
		}
	}
	return ""
}
