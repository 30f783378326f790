package api

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// appEmbed says which live data an app's JSON carries besides its
// definition (Marathon's embed=apps.tasks, apps.counts, ...).
type appEmbed struct {
	tasks, counts, deployments, lastTaskFailure, taskStats, readiness bool
}

// needsTasks reports whether rendering needs the app's tasks.
func (e appEmbed) needsTasks() bool { return e.tasks || e.taskStats }

// parseAppEmbed reads embed parameters naming app data under any of the
// prefixes ("apps.", "app.", "group.apps."); values may also be comma
// separated. Unknown values are ignored, as Marathon ignores them.
func parseAppEmbed(values []string, prefixes ...string) appEmbed {
	var e appEmbed
	for _, v := range splitEmbed(values) {
		for _, p := range prefixes {
			if !strings.HasPrefix(v, p) {
				continue
			}
			switch strings.TrimPrefix(v, p) {
			case "tasks":
				e.tasks = true
			case "counts":
				e.counts = true
			case "deployments":
				e.deployments = true
			case "lastTaskFailure", "failures":
				e.lastTaskFailure = true
			case "taskStats":
				e.taskStats = true
			case "readiness":
				e.readiness = true
			}
		}
	}
	return e
}

func splitEmbed(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// appendApp writes one app's JSON: its definition followed by the embedded
// live data. The definition is encoded on its own and the extra fields are
// spliced in before its closing brace, so whatever encoding package app
// chooses is kept.
func (s *Server) appendApp(buf *bytes.Buffer, st *state.AppStatus, e appEmbed) error {
	def, err := json.Marshal(st.App)
	if err != nil {
		return err
	}
	def = bytes.TrimSpace(def)
	if len(def) < 2 || def[len(def)-1] != '}' {
		buf.Write(def)
		return nil
	}
	buf.Write(def[:len(def)-1])
	first := len(def) == 2 // "{}": nothing to separate from
	field := func(name string) {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.WriteByte('"')
		buf.WriteString(name)
		buf.WriteString(`":`)
	}
	if e.counts {
		for _, c := range [...]struct {
			name string
			n    int
		}{{"tasksStaged", st.TasksStaged}, {"tasksRunning", st.TasksRunning}, {"tasksHealthy", st.TasksHealthy}, {"tasksUnhealthy", st.TasksUnhealthy}} {
			field(c.name)
			buf.WriteString(strconv.Itoa(c.n))
		}
	}
	if e.deployments {
		field("deployments")
		buf.WriteByte('[')
		for i, id := range st.Deployments {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"id":`)
			writeString(buf, id)
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	if e.readiness {
		field("readinessCheckResults")
		buf.WriteString("[]")
	}
	if e.tasks {
		field("tasks")
		if err := appendTasks(buf, st.Tasks); err != nil {
			return err
		}
	}
	if e.lastTaskFailure && st.LastTaskFailure != nil {
		field("lastTaskFailure")
		b, err := json.Marshal(st.LastTaskFailure)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	if e.taskStats {
		field("taskStats")
		b, err := json.Marshal(taskStats(st, s.cfg.Now()))
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	buf.WriteByte('}')
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// Response buffers are reused: a full listing is megabytes, and growing a
// fresh buffer to that size for every poll costs more than encoding it.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return bufferPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 64<<20 {
		return
	}
	b.Reset()
	bufferPool.Put(b)
}

// appendTasks writes a JSON array of tasks, with Marathon's empty arrays
// where a task has no ports or addresses (clients iterate them).
func appendTasks(buf *bytes.Buffer, tasks []state.Task) error {
	appendTasksJSON(buf, tasks)
	return nil
}

func withEmptySlices(t state.Task) state.Task {
	if t.Ports == nil {
		t.Ports = []int{}
	}
	if t.ServicePorts == nil {
		t.ServicePorts = []int{}
	}
	if t.IPAddresses == nil {
		t.IPAddresses = []state.IPAddress{}
	}
	if t.LocalVolumes == nil {
		t.LocalVolumes = []any{}
	}
	return t
}

// Task stats as Marathon's embed=apps.taskStats renders them.
type taskStatsJSON struct {
	StartedAfterLastScaling *statsSection `json:"startedAfterLastScaling,omitempty"`
	WithLatestConfig        *statsSection `json:"withLatestConfig,omitempty"`
	WithOutdatedConfig      *statsSection `json:"withOutdatedConfig,omitempty"`
	TotalSummary            *statsSection `json:"totalSummary,omitempty"`
}

type statsSection struct {
	Stats struct {
		Counts   statsCounts    `json:"counts"`
		LifeTime *statsLifeTime `json:"lifeTime,omitempty"`
	} `json:"stats"`
}

type statsCounts struct {
	Staged    int `json:"staged"`
	Running   int `json:"running"`
	Healthy   int `json:"healthy"`
	Unhealthy int `json:"unhealthy"`
}

type statsLifeTime struct {
	AverageSeconds float64 `json:"averageSeconds"`
	MedianSeconds  float64 `json:"medianSeconds"`
}

// taskStats groups an app's tasks as Marathon does: all of them, those of
// the current configuration, those of an older one, and those started after
// the app was last scaled. Empty groups are left out.
func taskStats(st *state.AppStatus, now time.Time) taskStatsJSON {
	var lastScaling, lastConfig string
	if vi := st.App.VersionInfo; vi != nil {
		lastScaling, lastConfig = vi.LastScalingAt, vi.LastConfigChangeAt
	}
	var total, latest, outdated, afterScaling []state.Task
	for _, t := range st.Tasks {
		total = append(total, t)
		if lastConfig == "" || t.Version >= lastConfig {
			latest = append(latest, t)
		} else {
			outdated = append(outdated, t)
		}
		if lastScaling != "" && t.StagedAt >= lastScaling {
			afterScaling = append(afterScaling, t)
		}
	}
	return taskStatsJSON{
		StartedAfterLastScaling: section(afterScaling, now),
		WithLatestConfig:        section(latest, now),
		WithOutdatedConfig:      section(outdated, now),
		TotalSummary:            section(total, now),
	}
}

func section(tasks []state.Task, now time.Time) *statsSection {
	if len(tasks) == 0 {
		return nil
	}
	s := &statsSection{}
	var lives []float64
	for _, t := range tasks {
		switch t.State {
		case "TASK_STAGING", "TASK_STARTING":
			s.Stats.Counts.Staged++
		case "TASK_RUNNING":
			s.Stats.Counts.Running++
		}
		if len(t.HealthCheckResults) > 0 {
			healthy := true
			for _, h := range t.HealthCheckResults {
				healthy = healthy && h.Alive
			}
			if healthy {
				s.Stats.Counts.Healthy++
			} else {
				s.Stats.Counts.Unhealthy++
			}
		}
		if started, err := time.Parse(time.RFC3339Nano, t.StartedAt); err == nil {
			lives = append(lives, now.Sub(started).Seconds())
		}
	}
	if len(lives) > 0 {
		sort.Float64s(lives)
		sum := 0.0
		for _, l := range lives {
			sum += l
		}
		median := lives[len(lives)/2]
		if len(lives)%2 == 0 {
			median = (lives[len(lives)/2-1] + lives[len(lives)/2]) / 2
		}
		s.Stats.LifeTime = &statsLifeTime{AverageSeconds: sum / float64(len(lives)), MedianSeconds: median}
	}
	return s
}

// timestamp renders t as Marathon does: ISO 8601 in UTC with milliseconds.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
