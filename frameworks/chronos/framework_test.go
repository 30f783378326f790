package chronos_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/agoraproject/agora/frameworks/chronos"
	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
	"github.com/agoraproject/agora/internal/store"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/sdk/sdktest"
)

func start(t *testing.T, m *sdktest.Master, st store.Store) (*chronos.Framework, context.CancelFunc, <-chan error) {
	t.Helper()
	f, err := chronos.New(chronos.Config{Master: m.Addr(), Store: st, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	return f, cancel, done
}

func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s (last error %v)", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDAGRunsInOrderAndSurvivesRestart(t *testing.T) {
	m, err := sdktest.New(sdktest.Options{AutoOffer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st := store.NewMemory()
	f, stop, done := start(t, m, st)
	ctx := context.Background()

	parent := job.Job{Name: "parent", Command: "true", Shell: true, Retries: 2, Schedule: "R1//PT1H"}
	child := job.Job{Name: "child", Command: "true", Shell: true, Retries: 2, Parents: []string{"parent"}}
	if err := f.PutJob(ctx, child); !errors.Is(err, runner.ErrInvalid) {
		t.Fatalf("child before its parent: %v", err)
	}
	if err := f.PutJob(ctx, parent); err != nil {
		t.Fatal(err)
	}
	if err := f.PutJob(ctx, child); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "child succeeded", func() (bool, error) {
		v, err := f.Job(ctx, "child")
		return err == nil && v.Job.SuccessCount == 1, err
	})
	p, _ := f.Job(ctx, "parent")
	c, _ := f.Job(ctx, "child")
	if p.Job.SuccessCount != 1 || len(p.History) != 1 || len(c.History) != 1 || c.History[0].StartTime < p.History[0].EndTime {
		t.Fatalf("parent %+v\nchild %+v", p, c)
	}
	if !strings.HasPrefix(c.History[0].TaskID, "ct:") || c.History[0].SlaveID == "" {
		t.Fatalf("history %+v", c.History[0])
	}
	launches := len(m.Calls(schedpb.Call_ACCEPT))
	fwID := m.FrameworkID()
	sub := m.Subscribes()[0].GetSubscribe().GetFrameworkInfo()
	if !sub.GetCheckpoint() || sub.GetName() != "chronos" || sub.GetFailoverTimeout() < 7*24*3600 {
		t.Fatalf("framework info %v", sub)
	}

	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A restarted scheduler resumes the framework and runs nothing twice.
	f2, stop2, done2 := start(t, m, st)
	defer func() { stop2(); <-done2 }()
	waitFor(t, "resubscribed", func() (bool, error) { return len(m.Subscribes()) == 2 && m.Subscribed(), nil })
	if got := m.Subscribes()[1].GetSubscribe().GetFrameworkInfo().GetId().GetValue(); got != fwID {
		t.Fatalf("resubscribed as %q, want %q", got, fwID)
	}
	if err := f2.RunJob(ctx, "parent", []string{"again"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "child ran after the manual parent run", func() (bool, error) {
		v, err := f2.Job(ctx, "child")
		return err == nil && v.Job.SuccessCount == 2, err
	})
	if n := len(m.Calls(schedpb.Call_ACCEPT)); n != launches+2 {
		t.Fatalf("%d ACCEPTs after restart, want %d (parent and child once each)", n, launches+2)
	}
	if err := f2.DeleteJob(ctx, "parent"); err != nil {
		t.Fatal(err)
	}
	if _, err := f2.Job(ctx, "parent"); !errors.Is(err, runner.ErrNotFound) {
		t.Fatalf("deleted job: %v", err)
	}
	keys, _ := st.List(ctx, "jobs/")
	if strings.Join(keys, ",") != "jobs/child" {
		t.Fatalf("store keys after delete: %v", keys)
	}
}
