package api

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// /master/state is assembled from pieces: each task, executor and agent
// object is encoded once and kept (tasks' and command executors' with the
// task's view, agents' and executor lists in the handler's caches) until
// it changes; the small objects around them (the document's head, each
// framework's fields) are encoded whole with placeholders where the lists
// go, and the lists are spliced in. The bytes are those encoding/json
// gives the whole document (TestStateReadsMatchReference).

// splicePrefix marks where a list goes in an encoded object: a NUL and a
// random word drawn when the process starts, so that no string a framework
// or agent sends (a name, a label) can pass for one.
var (
	splicePrefix = "\x00" + spliceNonce() + ":"
	spliceMark   = []byte(`"\u0000` + splicePrefix[1:])
)

func spliceNonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on Linux
	return hex.EncodeToString(b[:])
}

func splice(name string) string { return splicePrefix + name }

// spliceInto adds doc to b, replacing each placeholder by what fill adds
// for its name.
func (b *body) spliceInto(doc []byte, fill func(name string)) {
	for {
		at := bytes.Index(doc, spliceMark)
		if at < 0 {
			b.add(doc)
			return
		}
		b.add(doc[:at])
		rest := doc[at+len(spliceMark):]
		end := bytes.IndexByte(rest, '"')
		fill(string(rest[:end]))
		doc = rest[end+1:]
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // only maps, strings, numbers and RawMessages from mesosjson
		return []byte("null")
	}
	return b
}

// fillStateTasks makes the task objects and command executor objects a
// read of /master/state is missing, in parallel when there are many
// (append_parallel.go). A command task's executor is kept with the task,
// tagged with its agent's work directory, as sandboxes.go keeps the
// executor of a single task.
func stateFills(workDirs map[string]string) (objects, commands *taskFill) {
	objects = &taskFill{slot: slotState, tag: everyTask, encode: func(b []byte, _ *master.FrameworkView, t *master.TaskView, fc *flatCache) []byte {
		return fc.appendStateTask(b, t)
	}}
	commands = &taskFill{slot: slotExecutor,
		tag: func(_ *master.FrameworkView, t *master.TaskView) (string, bool) {
			return workDirs[t.AgentID], t.ExecutorID == ""
		},
		encode: func(b []byte, f *master.FrameworkView, t *master.TaskView, fc *flatCache) []byte {
			return fc.appendCommandExecutor(b, t, f.ID, workDirs[t.AgentID])
		}}
	return objects, commands
}

// masterState encodes /master/state.
func (c *stateCaches) masterState(s *master.State) (*body, error) { return c.masterStateFor(nil)(s) }

// masterStateFor encodes /master/state as v may see it (auth_view.go).
func (c *stateCaches) masterStateFor(v *viewer) func(*master.State) (*body, error) {
	return func(s *master.State) (*body, error) { return c.masterStateView(v.state(s), v) }
}

func (c *stateCaches) masterStateView(s *master.State, v *viewer) (*body, error) {
	var activated, deactivated, unreachable int
	c.idle.read()
	agentsGen := c.agents.begin(len(s.Agents))
	agentsGen.fill(s.Agents, agentSlotState, c.parallelFrom/8, appendStateAgent)
	agents := make([][]byte, 0, len(s.Agents))
	for i := range s.Agents {
		a := &s.Agents[i]
		switch {
		case a.Unreachable:
			unreachable++
			continue
		case a.Connected:
			activated++
		default:
			deactivated++
		}
		agents = append(agents, agentsGen.bytes(a, agentSlotState, func(a *master.AgentView) []byte {
			return encodeExact(func(b []byte) []byte { return appendStateAgent(b, a) })
		}))
	}
	c.agents.end(agentsGen)
	c.stats.record("state agents", agentsGen.encoded)
	flags := s.Flags
	if flags == nil {
		flags = map[string]string{}
	}
	head, err := json.Marshal(object{
		"version":                 master.Version,
		"git_sha":                 "",
		"build_date":              "",
		"build_time":              0,
		"build_user":              "",
		"start_time":              seconds(s.Start),
		"elected_time":            seconds(s.Start),
		"id":                      s.Info.GetId(),
		"pid":                     s.Info.GetPid(),
		"hostname":                s.Info.GetHostname(),
		"activated_slaves":        activated,
		"deactivated_slaves":      deactivated,
		"unreachable_slaves":      unreachable,
		"leader":                  s.Info.GetPid(),
		"leader_info":             protoJSON(s.Info),
		"flags":                   flags,
		"slaves":                  splice("slaves"),
		"frameworks":              splice("frameworks"),
		"completed_frameworks":    splice("completed_frameworks"),
		"orphan_tasks":            []object{},
		"unregistered_frameworks": []string{},
	})
	if err != nil {
		return nil, err
	}
	workDirs := agentWorkDirs(s) // sandboxes.go
	executors := c.executors.begin(workDirs)
	executors.ranks = newAgentRanks(s.Agents)
	n := countTasks(s)
	objects, commands := stateFills(workDirs)
	lazy := deferAll(s, objects, commands)
	// Each task and its executor are a piece and a comma; each framework is
	// some 20 pieces around its lists.
	b := &body{parts: make([][]byte, 0, 4*n+2*len(agents)+20*(len(s.Frameworks)+len(s.CompletedFrameworks))+64)}
	frameworks := func(fs []master.FrameworkView) {
		b.add(openArray)
		for i := range fs {
			if i > 0 {
				b.add(comma)
			}
			c.framework(b, &fs[i], workDirs, executors, objects, commands, v)
			if b.feed != nil {
				b.feed.publish(b, false)
			}
		}
		b.add(closeArray)
	}
	assemble := func() {
		b.spliceInto(head, func(name string) {
			switch name {
			case "slaves":
				b.array(agents)
			case "frameworks":
				frameworks(s.Frameworks)
			case "completed_frameworks":
				frameworks(s.CompletedFrameworks)
			}
		})
		if v == nil {
			// A filtered read would keep only what its principal sees.
			c.executors.end(executors)
		}
		c.settle(b, lazy, s, objects, commands)
		c.stats.record("state tasks", objects.encoded)
		c.stats.record("state executors", commands.encoded)
	}
	if c.coldRead(s, objects, commands) {
		b.lazy, b.feed = lazy, newFeed()
		go func() {
			defer func() {
				// The handler's goroutine fails the response instead
				// (body.serve): a panic here would stop the master.
				if p := recover(); p != nil {
					b.feed.fail(p)
				}
			}()
			assemble()
			b.feed.publish(b, true)
		}()
		return b, nil
	}
	assemble()
	return b, nil
}

// framework adds one framework object of /master/state.
func (c *stateCaches) framework(b *body, f *master.FrameworkView, workDirs map[string]string, executors *executorGen, objects, commands *taskFill, v *viewer) {
	var live, unreachable, completed [][]byte
	enc := func(t *master.TaskView) []byte { return objects.bytes(f, t) }
	live = make([][]byte, 0, len(f.Tasks))
	for i := range f.Tasks {
		yield(i)
		t := f.Tasks[i]
		if t.State == mesos.TaskState_TASK_UNREACHABLE {
			unreachable = append(unreachable, enc(t))
			continue
		}
		live = append(live, enc(t))
	}
	completed = make([][]byte, 0, len(f.CompletedTasks))
	for i := range f.CompletedTasks {
		completed = append(completed, enc(f.CompletedTasks[i]))
	}
	liveExecutors, completedExecutors := executors.lists(f, workDirs, commands)
	liveExecutors, completedExecutors = v.executorEntries(f, liveExecutors), v.executorEntries(f, completedExecutors)
	o := frameworkObject(*f)
	for _, k := range []string{"tasks", "unreachable_tasks", "completed_tasks", "executors", "completed_executors"} {
		o[k] = splice(k)
	}
	b.spliceInto(mustJSON(o), func(name string) {
		switch name {
		case "tasks":
			b.array(live)
		case "unreachable_tasks":
			b.array(unreachable)
		case "completed_tasks":
			b.array(completed)
		case "executors":
			b.executors(liveExecutors)
		case "completed_executors":
			b.executors(completedExecutors)
		}
	})
}

// serveJSON writes an assembled JSON document, wrapped for a valid jsonp
// callback as writeJSON does.
func (b *body) serveJSON(w http.ResponseWriter, r *http.Request) {
	if cb := r.URL.Query().Get("jsonp"); cb != "" && validJSONPCallback(cb) {
		b.prefix, b.suffix = []byte(cb+"("), []byte(");")
		b.serve(w, "text/javascript")
		return
	}
	b.serve(w, "application/json")
}
