package api

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// /master/state-summary is written field by field (the bytes encoding/json
// gives the map form, render_summary_reference_test.go): counting 100,000
// tasks by agent and framework in arrays rather than maps of maps, and
// 10,000 agent objects without reflection.

// renderSummary renders /master/state-summary for s.
func renderSummary(s *master.State) any {
	var bad bool
	b := appendSummary(nil, s, &bad)
	if bad {
		return unencodable("an agent attribute is not a finite number")
	}
	return json.RawMessage(b)
}

// unencodable is a document encoding/json refuses, as it refuses the map
// form holding a NaN.
type unencodable string

func (u unencodable) MarshalJSON() ([]byte, error) { return nil, errors.New(string(u)) }

// summaryCounts are task counts by summaryStates index.
type summaryCounts [10]int

func summaryIndex(s mesos.TaskState) int {
	switch s {
	case mesos.TaskState_TASK_STAGING:
		return 0
	case mesos.TaskState_TASK_STARTING:
		return 1
	case mesos.TaskState_TASK_RUNNING:
		return 2
	case mesos.TaskState_TASK_KILLING:
		return 3
	case mesos.TaskState_TASK_FINISHED:
		return 4
	case mesos.TaskState_TASK_KILLED:
		return 5
	case mesos.TaskState_TASK_FAILED:
		return 6
	case mesos.TaskState_TASK_LOST:
		return 7
	case mesos.TaskState_TASK_ERROR:
		return 8
	case mesos.TaskState_TASK_UNREACHABLE:
		return 9
	}
	return -1
}

// summaryKeys are the counts' keys in encoding/json's order, with their
// index.
var summaryKeys = func() []int {
	idx := make([]int, len(summaryStates))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return summaryStates[idx[a]] < summaryStates[idx[b]] })
	return idx
}()

func (c *summaryCounts) add(s mesos.TaskState) {
	if i := summaryIndex(s); i >= 0 {
		c[i]++
	}
}

func appendCounts(b []byte, c *summaryCounts) []byte {
	for i, k := range summaryKeys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, summaryStates[k]...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(c[k]), 10)
	}
	return b
}

func appendSummary(b []byte, s *master.State, bad *bool) []byte {
	agentIdx := make(map[string]int32, len(s.Agents))
	for i := range s.Agents {
		agentIdx[s.Agents[i].ID] = int32(i)
	}
	agentCounts := make([]summaryCounts, len(s.Agents))
	agentFrameworks := make([][]string, len(s.Agents))
	lastFramework := make([]int32, len(s.Agents)) // 1 + the last framework listed on the agent
	seenBy := make([]int32, len(s.Agents))        // 1 + the last framework that marked the agent
	frameworkCounts := make([]summaryCounts, len(s.Frameworks))
	frameworkAgents := make([][]string, len(s.Frameworks))
	for fi := range s.Frameworks {
		f := &s.Frameworks[fi]
		mark := int32(fi + 1)
		var unknown map[string]bool // agents of tasks that are not in s.Agents
		for i, t := range f.Tasks {
			yield(i)
			frameworkCounts[fi].add(t.State)
			ai, ok := agentIdx[t.AgentID]
			if !ok {
				if unknown == nil {
					unknown = map[string]bool{}
				}
				if !unknown[t.AgentID] {
					unknown[t.AgentID] = true
					frameworkAgents[fi] = append(frameworkAgents[fi], t.AgentID)
				}
				continue
			}
			agentCounts[ai].add(t.State)
			if lastFramework[ai] != mark {
				lastFramework[ai] = mark
				agentFrameworks[ai] = append(agentFrameworks[ai], f.ID)
			}
			if seenBy[ai] != mark {
				seenBy[ai] = mark
				frameworkAgents[fi] = append(frameworkAgents[fi], t.AgentID)
			}
		}
		for _, t := range f.CompletedTasks {
			frameworkCounts[fi].add(t.State)
			if ai, ok := agentIdx[t.AgentID]; ok {
				agentCounts[ai].add(t.State)
			}
		}
	}
	b = append(b, `{"cluster":"","frameworks":[`...)
	for fi := range s.Frameworks {
		if fi > 0 {
			b = append(b, ',')
		}
		f := &s.Frameworks[fi]
		sort.Strings(frameworkAgents[fi])
		b = appendCounts(append(b, '{'), &frameworkCounts[fi])
		b = strconv.AppendBool(append(b, `,"active":`...), f.Connected)
		b = append(b, `,"capabilities":[`...)
		for i, c := range f.Info.GetCapabilities() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendGoString(b, c.GetType().String())
		}
		b = appendGoString(append(b, `],"hostname":`...), f.Info.GetHostname())
		b = appendGoString(append(b, `,"id":`...), f.ID)
		b = appendGoString(append(b, `,"name":`...), f.Info.GetName())
		b = appendFlatResources(append(b, `,"offered_resources":`...), f.Offered, false)
		b = appendAnyJSON(append(b, `,"slave_ids":`...), nonNil(frameworkAgents[fi]), bad)
		b = appendFlatResources(append(b, `,"used_resources":`...), f.Used, false)
		b = appendGoString(append(b, `,"webui_url":`...), f.Info.GetWebuiUrl())
		b = append(b, '}')
	}
	b = appendGoString(append(b, `],"hostname":`...), s.Info.GetHostname())
	b = append(b, `,"slaves":[`...)
	first := true
	for ai := range s.Agents {
		a := &s.Agents[ai]
		if a.Unreachable {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		yield(ai)
		sort.Strings(agentFrameworks[ai])
		b = appendCounts(append(b, '{'), &agentCounts[ai])
		b = strconv.AppendBool(append(b, `,"active":`...), a.Connected)
		b = appendAnyJSON(append(b, `,"attributes":`...), flattenAttributes(a.Info.GetAttributes()), bad)
		b = appendAnyJSON(append(b, `,"framework_ids":`...), nonNil(agentFrameworks[ai]), bad)
		b = appendGoString(append(b, `,"hostname":`...), a.Info.GetHostname())
		b = appendGoString(append(b, `,"id":`...), a.ID)
		b = appendFlatResources(append(b, `,"offered_resources":`...), a.Offered, false)
		b = appendGoString(append(b, `,"pid":`...), a.PID)
		b = appendAnyJSON(append(b, `,"registered_time":`...), seconds(a.RegisteredAt), bad)
		b = appendAgentReservations(b, a, bad)
		b = appendFlatResources(append(b, `,"used_resources":`...), a.Used, false)
		b = appendGoString(append(b, `,"version":`...), a.Version)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
