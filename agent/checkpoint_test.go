package agent

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"go.uber.org/zap"
)

// A record is replaced whole on every write, and rewriting it swaps the
// same two files rather than creating one per write.
func TestWriteAtomicReusesScratchFile(t *testing.T) {
	a := &Agent{cfg: Config{WorkDir: t.TempDir()}, log: zap.NewNop()}
	path := a.taskRecordPath(taskKey{"fw", "t"})
	inode := func(p string) uint64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	inodes := map[uint64]bool{}
	for i, data := range []string{`{"state":"1"}`, `{"state":"2"}`, `{"state":"3"}`, `{"state":"4"}`} {
		if err := writeAtomic(path, []byte(data), true); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != data {
			t.Fatalf("write %d: read %q, %v", i, b, err)
		}
		inodes[inode(path)] = true
		if i > 0 {
			inodes[inode(scratchPath(path))] = true
		}
	}
	if len(inodes) != 2 {
		t.Errorf("4 writes used %d files, want 2 (the record and its scratch file)", len(inodes))
	}
	// Recovery reads the record, never the scratch file's older version.
	if recs := a.readTaskRecords(); len(recs) != 1 || recs[0].State != "4" {
		t.Errorf("records read back: %+v, want the last one only", recs)
	}
}

// Many records written in one flush all land, each with its own content.
func TestWriteRecordsInParallel(t *testing.T) {
	dir := t.TempDir()
	var writes []recordWrite
	for i := range 100 {
		p := filepath.Join(dir, "fw", string(rune('a'+i%26))+string(rune('a'+i/26))+".json")
		writes = append(writes, recordWrite{path: p, data: []byte(p), sync: i%2 == 0})
	}
	for i, err := range writeRecords(writes) {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	for _, w := range writes {
		if b, err := os.ReadFile(w.path); err != nil || string(b) != w.path {
			t.Fatalf("%s: read %q, %v", w.path, b, err)
		}
	}
	if _, err := os.Stat(scratchPath(writes[0].path)); !os.IsNotExist(err) {
		t.Errorf("a new record left its scratch file behind: %v", err)
	}
}

func TestRecordsOfDotTasksAreRead(t *testing.T) {
	a := &Agent{cfg: Config{WorkDir: t.TempDir()}, log: zap.NewNop()}
	for _, id := range []string{".hidden", "plain"} {
		p := a.taskRecordPath(taskKey{framework: "fw", task: id})
		rec := []byte(`{"executor_id":"` + id + `","state":"TASK_RUNNING","statuses":[],"pending":[]}`)
		if errs := writeRecords([]recordWrite{{path: p, data: rec}}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		// A scratch file next to it is not a record.
		if err := os.WriteFile(scratchPath(p), []byte("{partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for _, r := range a.readTaskRecords() {
		got[r.ExecutorID] = true
	}
	if len(got) != 2 || !got[".hidden"] || !got["plain"] {
		t.Errorf("records read: %v, want .hidden and plain", got)
	}
}
