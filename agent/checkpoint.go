package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// Checkpoints (recover.go reads them back). The agent keeps under
// <work_dir>/meta:
//
//	agent.json                     the agent ID and the host's boot ID
//	tasks/<framework>/<task>.json  one record per task: its TaskInfo,
//	                               framework and executor, container (ID,
//	                               PID, ContainerInfo), state, statuses and
//	                               unacknowledged updates
//
// A task's record is rewritten after its updates and acknowledgements
// (once per loop batch however many there were, before any update leaves)
// and removed when the agent forgets the task, so no write grows with the
// number of tasks. Every file is replaced atomically (written to a scratch
// file, .<task>.json.tmp, which rename swaps in); for frameworks with
// FrameworkInfo.checkpoint the data is also fsynced first, so a crash
// leaves the old record or the new one. Tasks of other frameworks are
// recorded once, when their container runs, without fsync, only so that a
// restarted agent can kill them.

const metaDir = "meta"

type agentRecord struct {
	AgentID string `json:"agent_id"`
	BootID  string `json:"boot_id"`
}

type taskRecord struct {
	Framework           json.RawMessage   `json:"framework"` // FrameworkInfo
	ExecutorID          string            `json:"executor_id"`
	Executor            json.RawMessage   `json:"executor,omitempty"` // ExecutorInfo; none for a command task
	Custom              bool              `json:"custom,omitempty"`   // the executor is the framework's own process
	ExecutorContainerID string            `json:"executor_container_id"`
	ExecutorDirectory   string            `json:"executor_directory"`
	Group               int               `json:"group,omitempty"`
	Task                json.RawMessage   `json:"task"` // TaskInfo
	Sandbox             string            `json:"sandbox"`
	ContainerID         string            `json:"container_id"`
	PID                 int               `json:"pid,omitempty"`
	Container           json.RawMessage   `json:"container,omitempty"` // the launch's ContainerInfo
	State               string            `json:"state"`
	KillRequested       bool              `json:"kill_requested,omitempty"`
	Statuses            []json.RawMessage `json:"statuses"`
	Pending             []json.RawMessage `json:"pending"` // unacknowledged updates, head first
}

func (a *Agent) metaPath(elem ...string) string {
	return filepath.Join(append([]string{a.cfg.WorkDir, metaDir}, elem...)...)
}

func (a *Agent) taskRecordPath(k taskKey) string {
	return a.metaPath("tasks", k.framework, k.task+".json")
}

// checkpointAgent records the agent ID and boot ID.
func (a *Agent) checkpointAgent() {
	b, _ := json.Marshal(agentRecord{AgentID: a.ID(), BootID: a.bootID})
	if err := writeAtomic(a.metaPath("agent.json"), b, true); err != nil {
		a.log.Error("checkpointing the agent failed", zap.Error(err))
	}
}

// checkpointTask marks t to be recorded as it is when the loop next
// flushes (flushCheckpoints): before it sends any status update and before
// it waits for the next message, so an update never reaches the master
// before the record that holds it.
func (a *Agent) checkpointTask(t *task) {
	if !t.checkpointDue {
		t.checkpointDue = true
		a.checkpoints = append(a.checkpoints, t)
	}
}

// recordWrite is one task record to write.
type recordWrite struct {
	t    *task
	path string
	data []byte
	sync bool
}

// flushCheckpoints writes the records of the tasks marked since the last
// flush, each once however often it changed. A burst of launches makes
// many records due at once: they are written in parallel, so that their
// fsyncs share the file system's journal commits (group commit), and each
// new directory entry is made durable with one fsync of its directory.
func (a *Agent) flushCheckpoints() {
	if len(a.checkpoints) == 0 {
		return
	}
	var writes []recordWrite
	for _, t := range a.checkpoints {
		t.checkpointDue = false
		if w, ok := a.taskRecord(t); ok {
			writes = append(writes, w)
		}
	}
	clear(a.checkpoints)
	a.checkpoints = a.checkpoints[:0]
	errs := writeRecords(writes)
	for i, w := range writes {
		if errs[i] != nil {
			a.log.Error("checkpointing a task failed", zap.String("task_id", w.t.key.task), zap.Error(errs[i]))
			continue
		}
		w.t.recorded = true
	}
}

// taskRecord encodes t's record; ok is false when t needs none (yet).
func (a *Agent) taskRecord(t *task) (w recordWrite, ok bool) {
	if a.tasks[t.key] != t {
		return w, false // forgotten already
	}
	fw := a.frameworks[t.key.framework]
	if fw == nil {
		return w, false
	}
	if !fw.info.GetCheckpoint() {
		// Recorded once its container runs, only so that a restarted
		// agent can kill it.
		if t.recorded || (t.container == nil && !t.executor.run.alive()) {
			return w, false
		}
		if t.executor.run != nil && t.executor.run.container == nil {
			return w, false
		}
	}
	ex := t.executor
	r := taskRecord{
		Framework:           marshalJSON(fw.info),
		ExecutorID:          ex.id,
		Custom:              ex.run != nil,
		ExecutorContainerID: ex.containerID,
		ExecutorDirectory:   ex.directory,
		Group:               t.group,
		Task:                marshalJSON(t.info),
		Sandbox:             t.sandbox,
		ContainerID:         t.containerID,
		State:               t.state.String(),
		KillRequested:       t.killRequested,
		Statuses:            []json.RawMessage{},
		Pending:             []json.RawMessage{},
	}
	ci := t.info.GetContainer()
	if ex.info != nil {
		r.Executor = marshalJSON(ex.info)
		if ci == nil || ex.run != nil {
			ci = ex.info.GetContainer()
		}
	}
	if ci != nil {
		r.Container = marshalJSON(ci)
	}
	c := t.container
	if ex.run != nil {
		c = ex.run.container
	}
	if c != nil {
		r.PID = c.Status().PID
	}
	for _, st := range t.statuses {
		r.Statuses = append(r.Statuses, marshalJSON(st))
	}
	for _, st := range a.updates.Pending(t.key.framework, t.key.task) {
		r.Pending = append(r.Pending, marshalJSON(st))
	}
	b, err := json.Marshal(r)
	if err != nil {
		a.log.Error("encoding a task's checkpoint failed", zap.String("task_id", t.key.task), zap.Error(err))
		return w, false
	}
	return recordWrite{t: t, path: a.taskRecordPath(t.key), data: b, sync: fw.info.GetCheckpoint()}, true
}

// maxRecordWriters bounds the goroutines of one flush.
const maxRecordWriters = 32

// writeRecords writes every record atomically (writeFileAtomic), in
// parallel when there are several, then fsyncs once each directory that
// gained a synced record. errs[i] is the error of writes[i].
func writeRecords(writes []recordWrite) (errs []error) {
	errs = make([]error, len(writes))
	created := make([]bool, len(writes))
	write := func(i int) { created[i], errs[i] = writeFileAtomic(writes[i].path, writes[i].data, writes[i].sync) }
	if n := min(len(writes), maxRecordWriters); n <= 1 {
		for i := range writes {
			write(i)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int)
		for range n {
			wg.Go(func() {
				for i := range next {
					write(i)
				}
			})
		}
		for i := range writes {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	dirs := map[string]bool{}
	for i, w := range writes {
		if errs[i] == nil && w.sync && created[i] {
			dirs[filepath.Dir(w.path)] = true
		}
	}
	for dir := range dirs {
		syncDir(dir)
	}
	return errs
}

// removeTaskRecord drops the record of a forgotten task.
func (a *Agent) removeTaskRecord(k taskKey) {
	path := a.taskRecordPath(k)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Warn("removing a task's checkpoint failed", zap.String("task_id", k.task), zap.Error(err))
	}
	_ = os.Remove(scratchPath(path))
	_ = os.Remove(filepath.Dir(a.taskRecordPath(k))) // the framework's directory, once empty
}

func marshalJSON(m proto.Message) json.RawMessage {
	b, err := protojson.Marshal(m)
	if err != nil {
		panic(err) // valid messages always marshal
	}
	return b
}

// writeAtomic replaces path with data (writeFileAtomic), fsynced first
// when sync is set. The directory is fsynced only when the record is new:
// a lost rename over an existing record leaves its previous version, whose
// pending updates are resent and deduplicated by uuid, so the second fsync
// on every update buys nothing.
func writeAtomic(path string, data []byte, sync bool) error {
	created, err := writeFileAtomic(path, data, sync)
	if err == nil && sync && created {
		syncDir(filepath.Dir(path))
	}
	return err
}

// scratchPath is where path's next version is written before it replaces
// path: a dot file, which readTaskRecords skips.
func scratchPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
}

// writeFileAtomic writes data to path's scratch file, fsyncs it when sync
// is set, and swaps it with path in one atomic rename(2) with
// RENAME_EXCHANGE, so that the scratch file keeps the previous version
// and is overwritten by the next write: rewriting a record neither creates
// nor deletes a file. (On ext4 without a journal every new inode is
// searched for past the recently deleted ones, so a temporary file per
// write made each launch of a burst slower than the one before.) A new
// record, or a file system without RENAME_EXCHANGE, takes a plain rename.
// created reports that path did not exist before.
func writeFileAtomic(path string, data []byte, sync bool) (created bool, err error) {
	_, statErr := os.Stat(path)
	created = errors.Is(statErr, os.ErrNotExist)
	if created {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return created, err
		}
	}
	scratch := scratchPath(path)
	f, err := os.OpenFile(scratch, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return created, err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !created && unix.Renameat2(unix.AT_FDCWD, scratch, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE) == nil {
		return false, nil
	}
	if err == nil {
		err = os.Rename(scratch, path)
	}
	if err != nil {
		_ = os.Remove(scratch)
		return created, fmt.Errorf("writing %s: %w", path, err)
	}
	return created, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// readTaskRecords loads every task record; unreadable ones are logged and
// skipped. Scratch files (.<task>.json.tmp) do not end in .json, so a crash
// mid-write leaves nothing that looks like a record; a record's own name may
// start with a dot, since task IDs may.
func (a *Agent) readTaskRecords() []taskRecord {
	var out []taskRecord
	root := a.metaPath("tasks")
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		b, err := os.ReadFile(path)
		var r taskRecord
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil {
			a.log.Error("ignoring an unreadable task checkpoint", zap.String("path", path), zap.Error(err))
			return nil
		}
		out = append(out, r)
		return nil
	})
	return out
}

var unmarshalOpts = protojson.UnmarshalOptions{DiscardUnknown: true}

func unmarshalJSON(b json.RawMessage, m proto.Message) error {
	if len(b) == 0 {
		return errors.New("missing")
	}
	return unmarshalOpts.Unmarshal(b, m)
}

// decoded is a task record with its messages decoded.
type decoded struct {
	rec       taskRecord
	framework *mesos.FrameworkInfo
	executor  *mesos.ExecutorInfo // nil for a command task
	task      *mesos.TaskInfo
	container *mesos.ContainerInfo
	state     mesos.TaskState
	statuses  []*mesos.TaskStatus
	pending   []*mesos.TaskStatus
}

func decodeRecord(r taskRecord) (*decoded, error) {
	d := &decoded{rec: r, framework: &mesos.FrameworkInfo{}, task: &mesos.TaskInfo{}}
	if err := unmarshalJSON(r.Framework, d.framework); err != nil {
		return nil, fmt.Errorf("framework: %w", err)
	}
	if err := unmarshalJSON(r.Task, d.task); err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	if len(r.Executor) > 0 {
		d.executor = &mesos.ExecutorInfo{}
		if err := unmarshalJSON(r.Executor, d.executor); err != nil {
			return nil, fmt.Errorf("executor: %w", err)
		}
	}
	if len(r.Container) > 0 {
		d.container = &mesos.ContainerInfo{}
		if err := unmarshalJSON(r.Container, d.container); err != nil {
			return nil, fmt.Errorf("container: %w", err)
		}
	}
	v, ok := mesos.TaskState_value[r.State]
	if !ok {
		return nil, fmt.Errorf("unknown state %q", r.State)
	}
	d.state = mesos.TaskState(v)
	for _, list := range []struct {
		in  []json.RawMessage
		out *[]*mesos.TaskStatus
	}{{r.Statuses, &d.statuses}, {r.Pending, &d.pending}} {
		for _, b := range list.in {
			st := &mesos.TaskStatus{}
			if err := unmarshalJSON(b, st); err != nil {
				return nil, fmt.Errorf("status: %w", err)
			}
			*list.out = append(*list.out, st)
		}
	}
	if checkID(d.framework.GetId().GetValue()) != nil || checkID(d.task.GetTaskId().GetValue()) != nil || checkID(r.ExecutorID) != nil {
		return nil, errors.New("invalid IDs")
	}
	return d, nil
}
