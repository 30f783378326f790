package runner_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/dag"
	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
)

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func scheduled(name, sched string) job.Job {
	return job.Job{Name: name, Command: "true", Shell: true, Retries: 2, Schedule: sched}
}

func dependent(name string, parents ...string) job.Job {
	return job.Job{Name: name, Command: "true", Shell: true, Retries: 2, Parents: parents}
}

func put(t *testing.T, c *runner.Core, js ...job.Job) {
	t.Helper()
	for _, j := range js {
		if err := c.Put(t0, j); err != nil {
			t.Fatalf("Put(%s): %v", j.Name, err)
		}
	}
}

// launchAll places every queued run and returns their task IDs.
func launchAll(c *runner.Core, now time.Time) []string {
	var ids []string
	for _, p := range c.Queue() {
		c.Launched(now, p.Run.TaskID, runner.Agent{ID: "S1", Hostname: "h1"})
		ids = append(ids, p.Run.TaskID)
	}
	return ids
}

func finish(c *runner.Core, now time.Time, id string, state runner.TaskState) []runner.Decision {
	c.Update(now, runner.Status{TaskID: id, State: runner.TaskRunning, AgentID: "S1"})
	return c.Update(now, runner.Status{TaskID: id, State: state, Name: "TASK_X"})
}

func queued(c *runner.Core) []string {
	var out []string
	for _, p := range c.Queue() {
		out = append(out, p.Run.TaskID)
	}
	return out
}

func mustJob(t *testing.T, c *runner.Core, name string) *runner.JobState {
	t.Helper()
	s, ok := c.Job(name)
	if !ok {
		t.Fatalf("no job %q", name)
	}
	return s
}

func TestScheduleFiresAtOccurrence(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R/2030-01-01T12:00:00Z/PT1M"))
	c.Tick(t0.Add(-time.Millisecond))
	if q := queued(c); len(q) != 0 {
		t.Fatalf("queued before the start: %v", q)
	}
	if w, ok := c.NextWake(); !ok || !w.Equal(t0) {
		t.Fatalf("NextWake = %v %v, want %v", w, ok, t0)
	}
	c.Tick(t0)
	want := "ct:" + itoa(t0.UnixMilli()) + ":0:a:"
	if q := queued(c); !slices.Equal(q, []string{want}) {
		t.Fatalf("queued %v, want [%s]", q, want)
	}
	c.Tick(t0.Add(30 * time.Second))
	if q := queued(c); len(q) != 1 {
		t.Fatalf("ran twice for one occurrence: %v", q)
	}
	if s := mustJob(t, c, "a"); s.RemainingSchedule() != "R/2030-01-01T12:01:00.000Z/PT1M" || mustJob(t, c, "a").Status() != "queued" {
		t.Fatalf("remaining schedule %q, status %q", s.RemainingSchedule(), s.Status())
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestMissedRunsCollapseIntoOne(t *testing.T) {
	c := runner.New(runner.Config{})
	j := scheduled("a", "R/2030-01-01T12:00:00Z/PT1M")
	j.Concurrent = true
	put(t, c, j)
	c.Tick(t0.Add(5*time.Minute + 30*time.Second))
	q := queued(c)
	if want := "ct:" + itoa(t0.Add(5*time.Minute).UnixMilli()) + ":0:a:"; !slices.Equal(q, []string{want}) {
		t.Fatalf("queued %v, want one run for the 12:05 occurrence", q)
	}
	if s := mustJob(t, c, "a"); s.NextIndex != 6 || !s.NextRun().Equal(t0.Add(6*time.Minute)) {
		t.Fatalf("next index %d at %v", s.NextIndex, s.NextRun())
	}
}

func TestEpsilonSkipsStaleOccurrence(t *testing.T) {
	c := runner.New(runner.Config{})
	j := scheduled("a", "R/2030-01-01T12:00:00Z/PT1H")
	j.Epsilon = "PT1M"
	put(t, c, j)
	c.Tick(t0.Add(2 * time.Minute))
	if q := queued(c); len(q) != 0 {
		t.Fatalf("ran an occurrence 2 minutes late with epsilon 1 minute: %v", q)
	}
	c.Tick(t0.Add(time.Hour + 30*time.Second))
	if q := queued(c); len(q) != 1 {
		t.Fatalf("on-time occurrence did not run: %v", q)
	}
}

func TestFiniteScheduleEnds(t *testing.T) {
	c := runner.New(runner.Config{})
	j := scheduled("a", "R2/2030-01-01T12:00:00Z/PT1M")
	j.Concurrent = true
	put(t, c, j)
	for i := range 5 {
		c.Tick(t0.Add(time.Duration(i) * time.Minute))
	}
	if q := queued(c); len(q) != 2 {
		t.Fatalf("R2 ran %d times", len(q))
	}
	if _, ok := c.NextWake(); ok {
		t.Fatal("NextWake after the last repetition")
	}
}

func TestRetriesAfterFailureRetry(t *testing.T) {
	c := runner.New(runner.Config{FailureRetry: time.Minute})
	put(t, c, scheduled("a", "R1/2030-01-01T12:00:00Z/PT1M")) // retries 2
	c.Tick(t0)
	now := t0
	for attempt := 0; attempt <= 2; attempt++ {
		ids := launchAll(c, now)
		if len(ids) != 1 || !strings.Contains(ids[0], ":"+itoa(int64(attempt))+":a:") {
			t.Fatalf("attempt %d launched %v", attempt, ids)
		}
		finish(c, now, ids[0], runner.TaskFailed)
		now = now.Add(59 * time.Second)
		c.Tick(now)
		if q := queued(c); len(q) != 0 {
			t.Fatalf("retried before --failure_retry: %v", q)
		}
		now = now.Add(time.Second)
		c.Tick(now)
	}
	s := mustJob(t, c, "a")
	if len(queued(c)) != 0 || len(s.Runs) != 0 {
		t.Fatalf("a fourth attempt: %v", queued(c))
	}
	if s.Job.ErrorCount != 1 || s.Job.ErrorsSinceLastSuccess != 1 || s.Job.LastError == "" || s.LastStatus() != "failure" {
		t.Fatalf("counters after a run failed on all 3 attempts: %+v", s.Job)
	}
	if len(s.History) != 3 || s.History[2].Status != "failure" || s.History[2].Attempt != 2 || s.History[0].SlaveID != "S1" {
		t.Fatalf("history %+v", s.History)
	}
}

func TestDisableAfterFailures(t *testing.T) {
	for _, soft := range []bool{false, true} {
		c := runner.New(runner.Config{DisableAfterFailures: 2})
		j := scheduled("a", "R/2030-01-01T12:00:00Z/PT1M")
		j.Retries, j.SoftError = 0, soft
		put(t, c, j)
		for i := range 2 {
			now := t0.Add(time.Duration(i) * time.Minute)
			c.Tick(now)
			for _, id := range launchAll(c, now) {
				finish(c, now, id, runner.TaskFailed)
			}
		}
		s := mustJob(t, c, "a")
		if s.Job.ErrorCount != 2 || s.Job.Disabled == soft {
			t.Fatalf("softError=%v: after 2 failures errorCount=%d disabled=%v", soft, s.Job.ErrorCount, s.Job.Disabled)
		}
		c.Tick(t0.Add(2 * time.Minute))
		if n := len(queued(c)); soft != (n == 1) {
			t.Fatalf("softError=%v: %d runs queued after disabling", soft, n)
		}
	}
}

func TestSuccessResetsErrorsSinceLastSuccess(t *testing.T) {
	c := runner.New(runner.Config{DisableAfterFailures: 2})
	j := scheduled("a", "R/2030-01-01T12:00:00Z/PT1M")
	j.Retries = 0
	put(t, c, j)
	for i, st := range []runner.TaskState{runner.TaskFailed, runner.TaskFinished, runner.TaskFailed} {
		now := t0.Add(time.Duration(i) * time.Minute)
		c.Tick(now)
		for _, id := range launchAll(c, now) {
			finish(c, now, id, st)
		}
	}
	if s := mustJob(t, c, "a"); s.Job.Disabled || s.Job.ErrorsSinceLastSuccess != 1 || s.Job.SuccessCount != 1 {
		t.Fatalf("%+v", s.Job)
	}
}

func TestNotConcurrentDefersOverlappingRuns(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R/2030-01-01T12:00:00Z/PT1M"))
	c.Tick(t0)
	ids := launchAll(c, t0)
	c.Tick(t0.Add(time.Minute))
	if err := c.RunNow(t0.Add(time.Minute), "a", nil); err != nil {
		t.Fatal(err)
	}
	if q := queued(c); len(q) != 0 {
		t.Fatalf("a second run of a non-concurrent job was queued while one runs: %v", q)
	}
	if s := mustJob(t, c, "a"); len(s.Runs) != 2 || s.Runs[1].Phase != runner.Deferred {
		t.Fatalf("runs %+v: want the running one and one deferred", s.Runs)
	}
	finish(c, t0.Add(90*time.Second), ids[0], runner.TaskFinished)
	if q := queued(c); len(q) != 1 {
		t.Fatalf("deferred run not queued after the first ended: %v", q)
	}

	// concurrent=true: both at once.
	c = runner.New(runner.Config{})
	j := scheduled("b", "R/2030-01-01T12:00:00Z/PT1M")
	j.Concurrent = true
	put(t, c, j)
	c.Tick(t0)
	launchAll(c, t0)
	c.Tick(t0.Add(time.Minute))
	if q := queued(c); len(q) != 1 {
		t.Fatalf("concurrent job: %v", q)
	}
}

func TestRunNowWithArguments(t *testing.T) {
	c := runner.New(runner.Config{})
	j := scheduled("a", "R/2031-01-01T00:00:00Z/P1D")
	j.Arguments = []string{"--default"}
	j.Disabled = true
	put(t, c, j)
	now := t0.Add(time.Second)
	if err := c.RunNow(now, "a", []string{"x", "y"}); err != nil {
		t.Fatal(err)
	}
	q := c.Queue()
	if len(q) != 1 || q[0].Run.TaskID != "ct:"+itoa(now.UnixMilli())+":0:a:x y" || !slices.Equal(q[0].Run.Arguments, []string{"x", "y"}) {
		t.Fatalf("queue %+v", q)
	}
	if err := c.RunNow(now, "nope", nil); err != runner.ErrNotFound {
		t.Fatalf("RunNow(unknown) = %v", err)
	}
}

func TestChildRunsAfterAllParentsSucceeded(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R1/2030-01-01T12:00:00Z/PT1M"), scheduled("b", "R1/2030-01-01T12:00:10Z/PT1M"), dependent("c", "a", "b"))
	c.Tick(t0)
	ids := launchAll(c, t0)
	finish(c, t0.Add(time.Second), ids[0], runner.TaskFinished)
	if q := queued(c); len(q) != 0 {
		t.Fatalf("c queued after a alone: %v", q)
	}
	c.Tick(t0.Add(10 * time.Second))
	ids = launchAll(c, t0.Add(10*time.Second))
	finish(c, t0.Add(11*time.Second), ids[0], runner.TaskFinished)
	q := queued(c)
	if len(q) != 1 || !strings.Contains(q[0], ":c:") {
		t.Fatalf("after a and b: queued %v, want c", q)
	}
	// A failed parent does not trigger; the child's progress restarts.
	if err := c.RunNow(t0.Add(time.Minute), "a", nil); err != nil {
		t.Fatal(err)
	}
	ids = launchAll(c, t0.Add(time.Minute))
	for _, id := range ids {
		if strings.Contains(id, ":a:") {
			finish(c, t0.Add(time.Minute), id, runner.TaskFinished)
		}
	}
	if s := mustJob(t, c, "c"); len(s.Runs) != 1 {
		t.Fatalf("c ran again after only a succeeded: %+v", s.Runs)
	}
}

func TestMarkSuccessTriggersChildren(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R/2031-01-01T00:00:00Z/P1D"), dependent("b", "a"))
	if err := c.MarkSuccess(t0, "a"); err != nil {
		t.Fatal(err)
	}
	if q := queued(c); len(q) != 1 || !strings.Contains(q[0], ":b:") {
		t.Fatalf("queued %v", q)
	}
	if s := mustJob(t, c, "a"); s.Job.SuccessCount != 1 || s.LastStatus() != "success" {
		t.Fatalf("%+v", s.Job)
	}
}

func TestDeletingParent(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R/2031-01-01T00:00:00Z/P1D"), scheduled("b", "R/2031-01-01T00:00:00Z/P1D"), dependent("c", "a", "b"), dependent("d", "b"))
	if err := c.MarkSuccess(t0, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(t0, "b"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Job("b"); ok {
		t.Fatal("b still there")
	}
	if s := mustJob(t, c, "c"); !slices.Equal(s.Job.Parents, []string{"a"}) {
		t.Fatalf("c's parents %v, want [a]", s.Job.Parents)
	}
	q := queued(c)
	if len(q) != 1 || !strings.Contains(q[0], ":c:") {
		t.Fatalf("c (its remaining parent a succeeded) not queued: %v", q)
	}
	// d lost its only parent: it waits for a manual run.
	if s := mustJob(t, c, "d"); len(s.Job.Parents) != 0 || len(s.Runs) != 0 || s.RemainingSchedule() != "" {
		t.Fatalf("d: %+v", s)
	}
	c.Tick(t0.Add(48 * time.Hour))
	if s := mustJob(t, c, "d"); len(s.Runs) != 0 {
		t.Fatal("d with no parents ran by itself")
	}
	if _, err := c.Delete(t0, "b"); err != runner.ErrNotFound {
		t.Fatalf("second Delete = %v", err)
	}
}

func TestPutRejectsCyclesAndMissingParents(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R/2031-01-01T00:00:00Z/P1D"), dependent("b", "a"), dependent("c", "b"))
	if err := c.Put(t0, dependent("a", "c")); err == nil || !strings.Contains(err.Error(), "a -> b -> c -> a") {
		t.Fatalf("cycle: %v", err)
	}
	if err := c.Put(t0, dependent("x", "nope")); err == nil || !strings.Contains(err.Error(), "no such job: nope") {
		t.Fatalf("missing parent: %v", err)
	}
	if err := c.Put(t0, scheduled("y", "every day")); err == nil || !strings.Contains(err.Error(), "schedule") {
		t.Fatalf("bad schedule: %v", err)
	}
}

func TestReplaceKeepsCountersAndProgress(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R/2030-01-01T12:00:00Z/PT1M"))
	c.Tick(t0)
	finish(c, t0, launchAll(c, t0)[0], runner.TaskFinished)
	j := scheduled("a", "R/2030-01-01T12:00:00Z/PT1M")
	j.SuccessCount, j.Command = 1000, "echo new"
	put(t, c, j)
	s := mustJob(t, c, "a")
	if s.Job.SuccessCount != 1 || s.Job.Command != "echo new" || s.NextIndex != 1 {
		t.Fatalf("after replace: %+v next %d", s.Job, s.NextIndex)
	}
}

func TestKillTasks(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R1/2030-01-01T12:00:00Z/PT1M"))
	c.Tick(t0)
	id := launchAll(c, t0)[0]
	c.Update(t0, runner.Status{TaskID: id, State: runner.TaskRunning})
	ds, err := c.KillTasks("a")
	if err != nil || len(ds) != 1 || ds[0] != (runner.Decision{Kind: runner.Kill, TaskID: id, AgentID: "S1"}) {
		t.Fatalf("KillTasks = %+v, %v", ds, err)
	}
	c.Update(t0, runner.Status{TaskID: id, State: runner.TaskFailed, Name: "TASK_KILLED"})
	s := mustJob(t, c, "a")
	if len(s.Runs) != 0 || s.Job.ErrorCount != 0 || s.History[0].Status != "killed" {
		t.Fatalf("killed run: runs %+v errors %d history %+v", s.Runs, s.Job.ErrorCount, s.History)
	}
}

func TestDeleteKillsRunsAndOrphansAreKilled(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R1/2030-01-01T12:00:00Z/PT1M"))
	c.Tick(t0)
	id := launchAll(c, t0)[0]
	ds, err := c.Delete(t0, "a")
	if err != nil || len(ds) != 1 || ds[0].Kind != runner.Kill || ds[0].TaskID != id {
		t.Fatalf("Delete = %+v, %v", ds, err)
	}
	// A later RUNNING of that task is killed again; nothing is recreated.
	ds = c.Update(t0, runner.Status{TaskID: id, State: runner.TaskRunning, AgentID: "S1"})
	if len(ds) != 1 || ds[0].Kind != runner.Kill {
		t.Fatalf("update of a deleted job's task: %+v", ds)
	}
	if _, ok := c.Job("a"); ok || len(c.Names()) != 0 {
		t.Fatal("ghost job")
	}
}

func TestHistoryIsBounded(t *testing.T) {
	c := runner.New(runner.Config{TaskHistory: 3})
	put(t, c, scheduled("a", "R/2030-01-01T12:00:00Z/PT1M"))
	for i := range 5 {
		now := t0.Add(time.Duration(i) * time.Minute)
		c.Tick(now)
		finish(c, now, launchAll(c, now)[0], runner.TaskFinished)
	}
	s := mustJob(t, c, "a")
	if len(s.History) != 3 || s.Job.SuccessCount != 5 || !strings.Contains(s.History[2].TaskID, itoa(t0.Add(4*time.Minute).UnixMilli())) {
		t.Fatalf("history %+v", s.History)
	}
}

// roundTrip persists c's state as JSON and restores it into a new core,
// as a restarted or failed-over leader does.
func roundTrip(t *testing.T, c *runner.Core, now time.Time) (*runner.Core, []runner.Decision) {
	t.Helper()
	var states []*runner.JobState
	for _, n := range c.Names() {
		s, _ := c.Job(n)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back runner.JobState
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		states = append(states, &back)
	}
	b, _ := json.Marshal(c.Progress())
	var prog dag.Progress
	if err := json.Unmarshal(b, &prog); err != nil {
		t.Fatal(err)
	}
	r := runner.New(runner.Config{})
	ds, bad := r.Restore(now, states, prog)
	if len(bad) != 0 {
		t.Fatalf("bad jobs on restore: %v", bad)
	}
	return r, ds
}

func TestRestoreNeitherLosesProgressNorRunsTwice(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R/2030-01-01T12:00:00Z/PT1M"), scheduled("b", "R/2030-01-01T12:00:00Z/PT1M"),
		dependent("c", "a", "b"), scheduled("q", "R/2030-01-01T12:00:00Z/PT1M"))
	c.Tick(t0)
	var runningB, launchedQ string
	for _, p := range c.Queue() {
		switch p.Job.Name {
		case "a":
			c.Launched(t0, p.Run.TaskID, runner.Agent{ID: "S1"})
			finish(c, t0, p.Run.TaskID, runner.TaskFinished) // c now waits for b only
		case "b":
			c.Launched(t0, p.Run.TaskID, runner.Agent{ID: "S1"})
			c.Update(t0, runner.Status{TaskID: p.Run.TaskID, State: runner.TaskRunning})
			runningB = p.Run.TaskID
		case "q":
			c.Launched(t0, p.Run.TaskID, runner.Agent{ID: "S2"}) // the ACCEPT may or may not have gone out
			launchedQ = p.Run.TaskID
		}
	}
	now := t0.Add(10 * time.Second)
	r, ds := roundTrip(t, c, now)
	want := []runner.Decision{
		{Kind: runner.Reconcile, TaskID: runningB, AgentID: "S1"},
		{Kind: runner.Reconcile, TaskID: launchedQ, AgentID: "S2"},
	}
	slices.SortFunc(ds, func(a, b runner.Decision) int { return strings.Compare(a.AgentID, b.AgentID) })
	if !slices.Equal(ds, want) {
		t.Fatalf("Restore decisions %+v, want %+v", ds, want)
	}
	r.Tick(now)
	if q := queued(r); len(q) != 0 {
		t.Fatalf("restored leader queued %v: would run an occurrence twice", q)
	}
	// The master never saw q's launch: it is placed again, not failed.
	r.Update(now, runner.Status{TaskID: launchedQ, State: runner.TaskUnknown, Name: "TASK_LOST"})
	if q := queued(r); !slices.Equal(q, []string{launchedQ}) {
		t.Fatalf("unknown launch: queued %v", q)
	}
	// b finishes under the new leader: c runs, its progress on a kept.
	r.Update(now, runner.Status{TaskID: runningB, State: runner.TaskFinished})
	q := queued(r)
	if len(q) != 2 || !slices.ContainsFunc(q, func(id string) bool { return strings.Contains(id, ":c:") }) {
		t.Fatalf("after b finished: %v, want c and q", q)
	}
	if s := mustJob(t, r, "a"); s.Job.SuccessCount != 1 || s.NextIndex != 1 {
		t.Fatalf("a after restore: %+v next %d", s.Job, s.NextIndex)
	}
	r.Tick(now.Add(time.Minute))
	if s := mustJob(t, r, "a"); len(s.Runs) != 1 {
		t.Fatalf("a's next occurrence did not run after restore: %+v", s.Runs)
	}
}

func TestLostRunningTaskIsAFailure(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R1/2030-01-01T12:00:00Z/PT1M"))
	c.Tick(t0)
	id := launchAll(c, t0)[0]
	c.Update(t0, runner.Status{TaskID: id, State: runner.TaskRunning})
	c.Update(t0, runner.Status{TaskID: id, State: runner.TaskUnknown, Name: "TASK_LOST"})
	s := mustJob(t, c, "a")
	if len(s.Runs) != 1 || s.Runs[0].Phase != runner.Retrying || s.History[0].Status != "failure" {
		t.Fatalf("runs %+v history %+v", s.Runs, s.History)
	}
}

func TestDirtyTracksChanges(t *testing.T) {
	c := runner.New(runner.Config{})
	put(t, c, scheduled("a", "R/2030-01-01T12:00:00Z/PT1M"), dependent("b", "a"))
	if jobs, _ := c.Dirty(); !slices.Equal(jobs, []string{"a", "b"}) {
		t.Fatalf("dirty %v", jobs)
	}
	if jobs, prog := c.Dirty(); len(jobs) != 0 || prog {
		t.Fatalf("dirty again %v %v", jobs, prog)
	}
	c.Tick(t0)
	finish(c, t0, launchAll(c, t0)[0], runner.TaskFinished)
	if jobs, prog := c.Dirty(); !slices.Equal(jobs, []string{"a", "b"}) || !prog {
		t.Fatalf("after a run: %v %v", jobs, prog)
	}
}

// A schedule posted with an empty start begins when it is posted; a
// restarted leader must not move that start to its own restart time, or
// the stored NextIndex would point at another occurrence.
func TestRestoreKeepsAnEmptyStart(t *testing.T) {
	c := runner.New(runner.Config{})
	posted := t0.Add(123 * time.Millisecond)
	if err := c.Put(posted, scheduled("a", "R//PT1H")); err != nil {
		t.Fatal(err)
	}
	c.Tick(posted)
	finish(c, posted, launchAll(c, posted)[0], runner.TaskFinished)
	before := mustJob(t, c, "a").RemainingSchedule()

	restart := posted.Add(90 * time.Minute) // the occurrence at +1h was missed
	r, _ := roundTrip(t, c, restart)
	s := mustJob(t, r, "a")
	if got := s.RemainingSchedule(); got != before {
		t.Fatalf("remaining schedule after restore %q, want %q", got, before)
	}
	if want := posted.Add(time.Hour); !s.NextRun().Equal(want) {
		t.Fatalf("next run after restore %v, want %v", s.NextRun(), want)
	}
	r.Tick(restart)
	want := "ct:" + itoa(posted.Add(time.Hour).UnixMilli()) + ":0:a:"
	if q := queued(r); !slices.Equal(q, []string{want}) {
		t.Fatalf("after restore queued %v, want the missed occurrence [%s]", q, want)
	}
}
