package api

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/mesosjson"
)

// GET_STATE is answered by concatenation: each task's bytes (protobuf, or
// Mesos JSON) come from the handler's caches, the small rest of the
// response (executors, frameworks, agents) is encoded as usual, and the
// pieces are written straight to the client. The bytes are those the whole
// Response would encode to (operator_state_test.go compares them).

// body is a response made of pieces written in order.
type body struct {
	parts [][]byte
	n     int
	arena []byte // small headers, carved out of one buffer
}

func (b *body) add(p []byte) {
	b.parts = append(b.parts, p)
	b.n += len(p)
}

// header appends a length-delimited field's tag and length.
func (b *body) header(num protowire.Number, n int) {
	if cap(b.arena)-len(b.arena) < 2*binaryMaxVarint {
		b.arena = make([]byte, 0, 64<<10)
	}
	start := len(b.arena)
	b.arena = protowire.AppendTag(b.arena, num, protowire.BytesType)
	b.arena = protowire.AppendVarint(b.arena, uint64(n))
	b.add(b.arena[start:len(b.arena):len(b.arena)])
}

const binaryMaxVarint = 10

func (b *body) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	for _, p := range b.parts {
		if _, err := bw.Write(p); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// serve writes b as the whole response.
func (b *body) serve(w http.ResponseWriter, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(b.n))
	_ = b.writeTo(w) // the client went away
}

// taskLists are GET_TASKS's lists of encoded tasks, in OperatorTasks's
// order.
type taskLists struct{ tasks, unreachable, completed [][]byte }

func collectTasks(s *master.State, enc func(*master.TaskView) []byte) taskLists {
	var out taskLists
	for i := range s.Frameworks {
		f := &s.Frameworks[i]
		for j := range f.Tasks {
			t := &f.Tasks[j]
			if t.State == mesos.TaskState_TASK_UNREACHABLE {
				out.unreachable = append(out.unreachable, enc(t))
				continue
			}
			out.tasks = append(out.tasks, enc(t))
		}
		for j := range f.CompletedTasks {
			out.completed = append(out.completed, enc(&f.CompletedTasks[j]))
		}
	}
	for i := range s.CompletedFrameworks {
		f := &s.CompletedFrameworks[i]
		for j := range f.CompletedTasks {
			out.completed = append(out.completed, enc(&f.CompletedTasks[j]))
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
	numGetStateTasks    = fieldNumber(&masterpb.Response_GetState{}, "get_tasks")
	numTasks            = fieldNumber(&masterpb.Response_GetTasks{}, "tasks")
	numUnreachableTasks = fieldNumber(&masterpb.Response_GetTasks{}, "unreachable_tasks")
	numCompletedTasks   = fieldNumber(&masterpb.Response_GetTasks{}, "completed_tasks")
)

// stateRest is GET_STATE without its tasks.
func stateRest(s *master.State) *masterpb.Response_GetState {
	return &masterpb.Response_GetState{
		GetExecutors:  master.OperatorExecutors(s),
		GetFrameworks: master.OperatorFrameworks(s),
		GetAgents:     master.OperatorAgents(s),
	}
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
func (c *stateCaches) getStateProto(s *master.State) (*body, error) {
	c.idle.read()
	encoded := 0
	lists := collectTasks(s, func(t *master.TaskView) []byte {
		return taskBytes(t, slotProto, "", &encoded, func(t *master.TaskView) []byte {
			b, _ := proto.Marshal(master.TaskProto(t)) // records hold only valid messages
			return b
		})
	})
	c.stats.record("protobuf tasks", encoded)
	rest, err := proto.Marshal(stateRest(s))
	if err != nil {
		return nil, err
	}
	fields := lists.fieldsInOrder()
	tasksLen := 0
	for _, f := range fields {
		for _, t := range f.list {
			tasksLen += protowire.SizeTag(f.num) + protowire.SizeBytes(len(t))
		}
	}
	stateLen := protowire.SizeTag(numGetStateTasks) + protowire.SizeBytes(tasksLen) + len(rest)
	b := &body{parts: make([][]byte, 0, 2*len(lists.tasks)+2*len(lists.completed)+2*len(lists.unreachable)+8)}
	head := protowire.AppendTag(nil, numResponseType, protowire.VarintType)
	head = protowire.AppendVarint(head, uint64(masterpb.Response_GET_STATE))
	b.add(head)
	b.header(numResponseGetState, stateLen)
	b.header(numGetStateTasks, tasksLen)
	for _, f := range fields {
		for _, t := range f.list {
			b.header(f.num, len(t))
			b.add(t)
		}
	}
	b.add(rest)
	return b, nil
}

var (
	comma        = []byte(",")
	closeArray   = []byte("]")
	closeObject  = []byte("}")
	getStateKey  = []byte(`"get_state":{`)
	getTasksOpen = []byte(`"get_tasks":{`)
)

// getStateJSON encodes GET_STATE's Response in Mesos JSON: the rest of the
// response is encoded whole and the tasks are spliced in as get_state's
// first field.
func (c *stateCaches) getStateJSON(s *master.State) (*body, error) {
	c.idle.read()
	encoded := 0
	lists := collectTasks(s, func(t *master.TaskView) []byte {
		return taskBytes(t, slotJSON, "", &encoded, func(t *master.TaskView) []byte {
			b, _ := mesosjson.Marshal(master.TaskProto(t))
			return b
		})
	})
	c.stats.record("json tasks", encoded)
	head, err := mesosjson.Marshal(&masterpb.Response{Type: masterpb.Response_GET_STATE.Enum(), GetState: stateRest(s)})
	if err != nil {
		return nil, err
	}
	at := bytes.Index(head, getStateKey)
	if at < 0 {
		return nil, errNoGetState
	}
	at += len(getStateKey)
	b := &body{parts: make([][]byte, 0, 2*(len(lists.tasks)+len(lists.completed)+len(lists.unreachable))+16)}
	b.add(head[:at])
	b.add(getTasksOpen)
	first := true
	for _, f := range lists.fieldsInOrder() {
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
	b.add(closeObject)
	if rest := head[at:]; len(rest) > 0 && rest[0] != '}' {
		b.add(comma)
	}
	b.add(head[at:])
	return b, nil
}

type encodingError string

func (e encodingError) Error() string { return string(e) }

const errNoGetState = encodingError("encoding GET_STATE: no get_state in the encoded response")
