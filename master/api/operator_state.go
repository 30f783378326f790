package api

import (
	"bytes"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/mesosjson"
)

// GET_STATE is answered by concatenation: each task's bytes (protobuf, or
// Mesos JSON) are those kept with its view, each agent's come from the
// handler's cache, the small rest of the response (executors, frameworks)
// is encoded as usual, and the pieces are written straight to the client.
// The bytes are those the whole Response would encode to
// (operator_state_test.go compares them).

// taskLists are GET_TASKS's lists of encoded tasks, in OperatorTasks's
// order.
type taskLists struct{ tasks, unreachable, completed [][]byte }

func collectTasks(s *master.State, enc func(*master.FrameworkView, *master.TaskView) []byte) taskLists {
	live := 0
	for i := range s.Frameworks {
		live += len(s.Frameworks[i].Tasks)
	}
	out := taskLists{tasks: make([][]byte, 0, live)}
	for i := range s.Frameworks {
		f := &s.Frameworks[i]
		for j := range f.Tasks {
			yield(j)
			t := f.Tasks[j]
			if t.State == mesos.TaskState_TASK_UNREACHABLE {
				out.unreachable = append(out.unreachable, enc(f, t))
				continue
			}
			out.tasks = append(out.tasks, enc(f, t))
		}
		for j := range f.CompletedTasks {
			out.completed = append(out.completed, enc(f, f.CompletedTasks[j]))
		}
	}
	for i := range s.CompletedFrameworks {
		f := &s.CompletedFrameworks[i]
		for j := range f.CompletedTasks {
			out.completed = append(out.completed, enc(f, f.CompletedTasks[j]))
		}
	}
	return out
}

func countTasks(s *master.State) int {
	n := 0
	for i := range s.Frameworks {
		n += len(s.Frameworks[i].Tasks) + len(s.Frameworks[i].CompletedTasks)
	}
	for i := range s.CompletedFrameworks {
		n += len(s.CompletedFrameworks[i].CompletedTasks)
	}
	return n
}

func fieldNumber(m proto.Message, name protoreflect.Name) protowire.Number {
	return m.ProtoReflect().Descriptor().Fields().ByName(name).Number()
}

var (
	numResponseType     = fieldNumber(&masterpb.Response{}, "type")
	numResponseGetState = fieldNumber(&masterpb.Response{}, "get_state")
	numResponseGetTasks = fieldNumber(&masterpb.Response{}, "get_tasks")
	numResponseAgents   = fieldNumber(&masterpb.Response{}, "get_agents")
	numGetStateTasks    = fieldNumber(&masterpb.Response_GetState{}, "get_tasks")
	numGetStateAgents   = fieldNumber(&masterpb.Response_GetState{}, "get_agents")
	numAgents           = fieldNumber(&masterpb.Response_GetAgents{}, "agents")
	numTasks            = fieldNumber(&masterpb.Response_GetTasks{}, "tasks")
	numUnreachableTasks = fieldNumber(&masterpb.Response_GetTasks{}, "unreachable_tasks")
	numCompletedTasks   = fieldNumber(&masterpb.Response_GetTasks{}, "completed_tasks")
)

// stateRest is GET_STATE without its tasks and agents.
func stateRest(s *master.State) *masterpb.Response_GetState {
	return &masterpb.Response_GetState{
		GetExecutors:  master.OperatorExecutors(s),
		GetFrameworks: master.OperatorFrameworks(s),
	}
}

// agentList is GET_AGENTS's agents, each encoded in slot from the cache,
// as OperatorAgents lists them.
func (c *stateCaches) agentList(s *master.State, slot int, kind string, encode func([]byte, *master.AgentView) []byte) [][]byte {
	g := c.agents.begin(len(s.Agents))
	g.fill(s.Agents, slot, c.parallelFrom/8, encode)
	one := func(a *master.AgentView) []byte { return encodeExact(func(b []byte) []byte { return encode(b, a) }) }
	out := make([][]byte, 0, len(s.Agents))
	for i := range s.Agents {
		if a := &s.Agents[i]; !a.Unreachable {
			out = append(out, g.bytes(a, slot, one))
		}
	}
	c.agents.end(g)
	c.stats.record(kind, g.encoded)
	return out
}

// taskField is one repeated Task field of GetTasks.
type taskField struct {
	num  protowire.Number
	name string
	list [][]byte
}

// fieldsInOrder lists GetTasks's fields in field-number order, the order
// both encoders emit.
func (l taskLists) fieldsInOrder() []taskField {
	fs := []taskField{{numTasks, "tasks", l.tasks}, {numUnreachableTasks, "unreachable_tasks", l.unreachable},
		{numCompletedTasks, "completed_tasks", l.completed}}
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].num < fs[j-1].num; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
	return fs
}

// getStateProto encodes GET_STATE's Response in protobuf.
// protoTasks are the state's tasks in protobuf, from their views.
func (c *stateCaches) protoTasks(s *master.State) taskLists {
	c.idle.read()
	fill := &taskFill{slot: slotProto, tag: everyTask, encode: func(b []byte, _ *master.FrameworkView, t *master.TaskView, _ *flatCache) []byte {
		return appendTaskProto(b, t)
	}}
	// Protobuf is not streamed: the lengths of the lists come first.
	fillTasks(s, c.parallelFrom, fill)
	lists := collectTasks(s, fill.bytes)
	c.stats.record("protobuf tasks", fill.encoded)
	return lists
}

// jsonTasks are the state's tasks in Mesos JSON, from their views; lazy
// holds the encodings the lists have placeholders for, and settle fills
// them once the response is assembled.
func (c *stateCaches) jsonTasks(s *master.State) (lists taskLists, lazy *deferred, fill *taskFill) {
	c.idle.read()
	fill = &taskFill{slot: slotJSON, tag: everyTask, encode: func(b []byte, _ *master.FrameworkView, t *master.TaskView, _ *flatCache) []byte {
		return appendTaskJSON(b, t)
	}}
	lazy = deferAll(s, fill)
	lists = collectTasks(s, fill.bytes)
	c.stats.record("json tasks", fill.encoded)
	return lists, lazy, fill
}

// protoLen is the encoded size of GetTasks holding the lists.
func (l taskLists) protoLen() int {
	n := 0
	for _, f := range l.fieldsInOrder() {
		for _, t := range f.list {
			n += protowire.SizeTag(f.num) + protowire.SizeBytes(len(t))
		}
	}
	return n
}

// addProtoTasks adds GetTasks's fields.
func (b *body) addProtoTasks(l taskLists) {
	for _, f := range l.fieldsInOrder() {
		for _, t := range f.list {
			b.header(f.num, len(t))
			b.add(t)
		}
	}
}

// addJSONTasks adds GetTasks's fields in JSON, without the braces.
func (b *body) addJSONTasks(l taskLists) {
	first := true
	for _, f := range l.fieldsInOrder() {
		if len(f.list) == 0 {
			continue
		}
		key := `"` + f.name + `":[`
		if !first {
			key = "," + key
		}
		first = false
		b.add([]byte(key))
		for i, t := range f.list {
			if i > 0 {
				b.add(comma)
			}
			b.add(t)
		}
		b.add(closeArray)
	}
}

func newBody(l taskLists) *body {
	return &body{parts: make([][]byte, 0, 2*(len(l.tasks)+len(l.completed)+len(l.unreachable))+16)}
}

// getTasksProto encodes GET_TASKS's Response in protobuf.
func (c *stateCaches) getTasksProto(s *master.State) (*body, error) {
	lists := c.protoTasks(s)
	b := newBody(lists)
	head := protowire.AppendTag(nil, numResponseType, protowire.VarintType)
	b.add(protowire.AppendVarint(head, uint64(masterpb.Response_GET_TASKS)))
	b.header(numResponseGetTasks, lists.protoLen())
	b.addProtoTasks(lists)
	return b, nil
}

var getTasksJSONHead = []byte(`{"type":"GET_TASKS","get_tasks":{`)

// getTasksJSON encodes GET_TASKS's Response in Mesos JSON.
func (c *stateCaches) getTasksJSON(s *master.State) (*body, error) {
	lists, lazy, fill := c.jsonTasks(s)
	b := newBody(lists)
	b.add(getTasksJSONHead)
	b.addJSONTasks(lists)
	b.add(closeObject)
	b.add(closeObject)
	c.settle(b, lazy, s, fill)
	return b, nil
}

func (c *stateCaches) getStateProto(s *master.State) (*body, error) {
	lists := c.protoTasks(s)
	rest, err := proto.Marshal(stateRest(s))
	if err != nil {
		return nil, err
	}
	agents := c.protoAgents(s)
	agentsLen := 0
	for _, a := range agents {
		agentsLen += protowire.SizeTag(numAgents) + protowire.SizeBytes(len(a))
	}
	tasksLen := lists.protoLen()
	stateLen := protowire.SizeTag(numGetStateTasks) + protowire.SizeBytes(tasksLen) + len(rest) +
		protowire.SizeTag(numGetStateAgents) + protowire.SizeBytes(agentsLen)
	b := newBody(lists)
	head := protowire.AppendTag(nil, numResponseType, protowire.VarintType)
	head = protowire.AppendVarint(head, uint64(masterpb.Response_GET_STATE))
	b.add(head)
	b.header(numResponseGetState, stateLen)
	b.header(numGetStateTasks, tasksLen)
	b.addProtoTasks(lists)
	b.add(rest) // executors and frameworks, fields 2 and 3
	b.header(numGetStateAgents, agentsLen)
	for _, a := range agents {
		b.header(numAgents, len(a))
		b.add(a)
	}
	return b, nil
}

var (
	comma        = []byte(",")
	closeArray   = []byte("]")
	closeObject  = []byte("}")
	getStateKey  = []byte(`"get_state":{`)
	getTasksOpen = []byte(`"get_tasks":{`)
	// emptyAgentsEnd ends the response when get_agents is empty.
	emptyAgentsEnd = []byte(`"get_agents":{}}}`)
	agentsKey      = []byte(`"agents":`)
)

// getStateJSON encodes GET_STATE's Response in Mesos JSON: the rest of the
// response is encoded whole and the tasks are spliced in as get_state's
// first field.
func (c *stateCaches) getStateJSON(s *master.State) (*body, error) {
	lists, lazy, fill := c.jsonTasks(s)
	rest := stateRest(s)
	rest.GetAgents = &masterpb.Response_GetAgents{}
	head, err := mesosjson.Marshal(&masterpb.Response{Type: masterpb.Response_GET_STATE.Enum(), GetState: rest})
	if err != nil {
		return nil, err
	}
	at := bytes.Index(head, getStateKey)
	if at < 0 || !bytes.HasSuffix(head, emptyAgentsEnd) {
		return nil, errNoGetState
	}
	agents := c.jsonAgents(s)
	at += len(getStateKey)
	b := newBody(lists)
	b.add(head[:at])
	b.add(getTasksOpen)
	b.addJSONTasks(lists)
	b.add(closeObject)
	b.add(comma) // get_agents follows
	// get_agents is get_state's last field: {} is replaced by its list.
	b.add(head[at : len(head)-len(emptyAgentsEnd)+len(`"get_agents":{`)])
	if len(agents) > 0 {
		b.add(agentsKey)
		b.array(agents)
	}
	b.add(closeObject)
	b.add(closeObject)
	b.add(closeObject)
	c.settle(b, lazy, s, fill)
	return b, nil
}

type encodingError string

func (e encodingError) Error() string { return string(e) }

const errNoGetState = encodingError("encoding GET_STATE: get_state or its get_agents is not where expected in the encoded response")

// getAgentsProto encodes GET_AGENTS's Response in protobuf from the
// agents' kept encodings.
func (c *stateCaches) getAgentsProto(s *master.State) (*body, error) {
	c.idle.read()
	agents := c.protoAgents(s)
	n := 0
	for _, a := range agents {
		n += protowire.SizeTag(numAgents) + protowire.SizeBytes(len(a))
	}
	b := &body{parts: make([][]byte, 0, 2*len(agents)+4)}
	head := protowire.AppendTag(nil, numResponseType, protowire.VarintType)
	b.add(protowire.AppendVarint(head, uint64(masterpb.Response_GET_AGENTS)))
	b.header(numResponseAgents, n)
	for _, a := range agents {
		b.header(numAgents, len(a))
		b.add(a)
	}
	return b, nil
}

var getAgentsJSONHead = []byte(`{"type":"GET_AGENTS","get_agents":{`)

// getAgentsJSON encodes GET_AGENTS's Response in Mesos JSON from the
// agents' kept encodings.
func (c *stateCaches) getAgentsJSON(s *master.State) (*body, error) {
	c.idle.read()
	agents := c.jsonAgents(s)
	b := &body{parts: make([][]byte, 0, 2*len(agents)+8)}
	b.add(getAgentsJSONHead)
	if len(agents) > 0 {
		b.add(agentsKey)
		b.array(agents)
	}
	b.add(closeObject)
	b.add(closeObject)
	return b, nil
}

func (c *stateCaches) protoAgents(s *master.State) [][]byte {
	return c.agentList(s, agentSlotProto, "protobuf agents", func(b []byte, a *master.AgentView) []byte {
		b, _ = proto.MarshalOptions{}.MarshalAppend(b, master.AgentProto(a))
		return b
	})
}

func (c *stateCaches) jsonAgents(s *master.State) [][]byte {
	return c.agentList(s, agentSlotJSON, "json agents", func(b []byte, a *master.AgentView) []byte {
		b, _ = mesosjson.AppendMarshal(b, master.AgentProto(a))
		return b
	})
}
