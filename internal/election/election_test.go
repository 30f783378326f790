package election

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap/zaptest"

	"github.com/agoraproject/agora/internal/zktest"
)

// testTimeout is the session timeout of the tests' contenders: short, to
// keep failover tests fast.
const testTimeout = 2 * time.Second

// contender is an Elector under test with a record of its leadership.
type contender struct {
	*Elector
	name   string
	proxy  *zktest.Proxy
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	terms []term // when it led
}

type term struct{ from, to time.Time }

func startContender(t testing.TB, zkAddr, path, name string) *contender {
	t.Helper()
	p := zktest.NewProxy(t, zkAddr)
	e, err := New(Config{
		Servers: []string{p.Addr}, Path: path, Prefix: "member_",
		Data: []byte(name), SessionTimeout: testTimeout, Log: zaptest.NewLogger(t).Named(name),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &contender{Elector: e, name: name, proxy: p, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		if err := e.Run(ctx); err != nil {
			t.Errorf("%s: Run: %v", name, err)
		}
	}()
	go c.record(ctx)
	t.Cleanup(c.stop)
	return c
}

// record notes each change of IsLeader with its time.
func (c *contender) record(ctx context.Context) {
	leading := false
	for {
		select {
		case <-c.Changes():
		case <-ctx.Done():
			return
		}
		now, is := time.Now(), c.IsLeader()
		c.mu.Lock()
		switch {
		case is && !leading:
			c.terms = append(c.terms, term{from: now})
		case !is && leading:
			c.terms[len(c.terms)-1].to = now
		}
		c.mu.Unlock()
		leading = is
	}
}

func (c *contender) stop() {
	c.cancel()
	<-c.done
}

func (c *contender) ledTerms() []term {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]term(nil), c.terms...)
}

// firstTerm waits for the recorder to note c's first term.
func firstTerm(t testing.TB, c *contender) term {
	t.Helper()
	for range 200 {
		if ts := c.ledTerms(); len(ts) > 0 {
			return ts[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: no term recorded", c.name)
	return term{}
}

// waitLeader waits until exactly one of cs leads and all agree on its data.
func waitLeader(t testing.TB, within time.Duration, cs ...*contender) *contender {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var leaders []*contender
		for _, c := range cs {
			if c.IsLeader() {
				leaders = append(leaders, c)
			}
		}
		if len(leaders) > 1 {
			t.Fatalf("%d leaders at once", len(leaders))
		}
		if len(leaders) == 1 {
			agreed := true
			for _, c := range cs {
				d, ok := c.Leader()
				agreed = agreed && ok && string(d) == leaders[0].name
			}
			if agreed {
				return leaders[0]
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no agreed leader within %v", within)
	return nil
}

func TestElection(t *testing.T) {
	srv := zktest.Start(t)

	t.Run("OneLeaderAmongThree", func(t *testing.T) {
		a := startContender(t, srv.Addr, "/three", "a")
		l := waitLeader(t, 10*time.Second, a)
		b := startContender(t, srv.Addr, "/three", "b")
		c := startContender(t, srv.Addr, "/three", "c")
		if got := waitLeader(t, 10*time.Second, a, b, c); got != l {
			t.Fatalf("leader moved from %s to %s when others joined", l.name, got.name)
		}
	})

	// The leader's network fails: it stops leading before a follower starts,
	// and a follower leads within about a session timeout.
	t.Run("PartitionedLeaderStepsDown", func(t *testing.T) {
		a := startContender(t, srv.Addr, "/partition", "a")
		waitLeader(t, 10*time.Second, a)
		b := startContender(t, srv.Addr, "/partition", "b")
		c := startContender(t, srv.Addr, "/partition", "c")
		waitLeader(t, 10*time.Second, a, b, c)
		cut := time.Now()
		a.proxy.Partition()
		next := waitLeader(t, testTimeout+3*time.Second, b, c)
		took := time.Since(cut)
		if a.IsLeader() {
			t.Fatal("partitioned leader still leads")
		}
		old := a.ledTerms()
		if len(old) != 1 || old[0].to.IsZero() {
			t.Fatalf("old leader's terms %+v", old)
		}
		rise := firstTerm(t, next).from
		if !old[0].to.Before(rise) {
			t.Fatalf("overlap: old leader stepped down at %v, new one led at %v", old[0].to.Sub(cut), rise.Sub(cut))
		}
		t.Logf("old leader stepped down %v after the cut; %s led %v after it (session timeout %v)",
			old[0].to.Sub(cut).Round(time.Millisecond), next.name, took.Round(time.Millisecond), testTimeout)
		// Healed, the old leader contends again and follows.
		a.proxy.Heal()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if d, ok := a.Leader(); ok && string(d) == next.name {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("healed contender does not see the new leader")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got := waitLeader(t, time.Second, a, b, c); got != next {
			t.Fatalf("leader moved to %s after heal", got.name)
		}
	})

	// One-way partition: ZooKeeper hears nothing from the leader (and
	// expires its session) while the leader still receives a notification
	// mid-way. A notification proves nothing about the session, so the
	// leader steps down on time and never overlaps its successor.
	t.Run("OneWayPartitionedLeaderStepsDown", func(t *testing.T) {
		a := startContender(t, srv.Addr, "/oneway", "a")
		waitLeader(t, 10*time.Second, a)
		if own, ok := a.Own(); !ok || !strings.HasPrefix(own, "/oneway/member_") {
			t.Fatalf("leader's Own() = %q, %v", own, ok)
		}
		b := startContender(t, srv.Addr, "/oneway", "b")
		waitLeader(t, 10*time.Second, a, b)
		if _, ok := b.Own(); ok {
			t.Fatal("a follower reports an own znode to fence with")
		}
		cut := time.Now()
		a.proxy.MuteClient()
		time.Sleep(testTimeout / 2)
		// A new contender changes the children the leader watches: the
		// notification reaches the muted leader.
		c := startContender(t, srv.Addr, "/oneway", "c")
		next := waitLeader(t, testTimeout+3*time.Second, b, c)
		old := a.ledTerms()
		if len(old) != 1 || old[0].to.IsZero() {
			t.Fatalf("old leader's terms %+v", old)
		}
		rise := firstTerm(t, next).from
		// The lease ends two thirds of a session timeout after the last
		// answered ping, a third of a timeout before ZooKeeper can expire
		// the session; a lease kept fresh by the notification would end
		// only when the server drops the connection, as the successor rises.
		if margin := rise.Sub(old[0].to); margin < testTimeout/10 {
			t.Fatalf("old leader stepped down at %v, new one led at %v: margin %v", old[0].to.Sub(cut), rise.Sub(cut), margin)
		}
		if _, ok := a.Own(); ok {
			t.Fatal("a deposed leader still reports an own znode")
		}
		t.Logf("old leader stepped down %v after the cut; %s led %v after it", old[0].to.Sub(cut).Round(time.Millisecond), next.name, rise.Sub(cut).Round(time.Millisecond))
	})

	// A leader that shuts down hands over at once: it deletes its znode.
	t.Run("ResignHandsOverFast", func(t *testing.T) {
		a := startContender(t, srv.Addr, "/resign", "a")
		waitLeader(t, 10*time.Second, a)
		b := startContender(t, srv.Addr, "/resign", "b")
		waitLeader(t, 10*time.Second, a, b)
		start := time.Now()
		a.stop()
		if a.IsLeader() {
			t.Fatal("stopped contender still leads")
		}
		waitLeader(t, time.Second, b)
		t.Logf("handover took %v", time.Since(start).Round(time.Millisecond))
	})

	t.Run("DetectorFollows", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := Detect(ctx, []string{srv.Addr}, "/detect", "member_", zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		expect := func(want string) {
			t.Helper()
			select {
			case got := <-ch:
				if string(got) != want || (want == "" && got != nil) {
					t.Fatalf("detected %q, want %q", got, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no detection of %q", want)
			}
		}
		expect("") // nobody contends yet
		a := startContender(t, srv.Addr, "/detect", "a")
		expect("a")
		b := startContender(t, srv.Addr, "/detect", "b")
		waitLeader(t, 10*time.Second, a, b)
		a.stop()
		expect("b")
		b.stop()
		expect("")
		cancel()
		select {
		case _, open := <-ch:
			if open {
				t.Fatal("value after cancel")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("channel not closed after cancel")
		}
	})

	t.Run("MesosLayout", func(t *testing.T) { testMesosLayout(t, srv) })

	t.Run("RunTwice", func(t *testing.T) {
		a := startContender(t, srv.Addr, "/twice", "a")
		waitLeader(t, 10*time.Second, a)
		if err := a.Run(context.Background()); err == nil {
			t.Fatal("second Run accepted")
		}
	})
}

// The Mesos layout: a contender's znode is <path>/<prefix><10 digits> with
// its data, readable by tools that know nothing of this package.
func testMesosLayout(t *testing.T, srv *zktest.Server) {
	e, err := New(Config{Servers: []string{srv.Addr}, Path: "/mesos", Prefix: "json.info_", Data: []byte(`{"id":"m1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	ch, err := Detect(ctx, []string{srv.Addr}, "/mesos", "json.info_", nil)
	if err != nil {
		t.Fatal(err)
	}
	for v := range ch {
		if string(v) == `{"id":"m1"}` {
			break
		}
	}
	kids := zkChildren(t, srv.Addr, "/mesos")
	if len(kids) != 1 || len(kids[0]) != len("json.info_")+10 || kids[0][:10] != "json.info_" {
		t.Fatalf("children of /mesos = %v, want one json.info_<10 digits>", kids)
	}
}

func zkChildren(t *testing.T, addr, p string) []string {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(zkLogger{zaptest.NewLogger(t)}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	kids, _, err := c.Children(p)
	if err != nil {
		t.Fatal(err)
	}
	return kids
}

// Against a three-server ensemble: killing the ZooKeeper leader makes the
// ensemble elect another; contenders ride it out with at most one leader at
// any time and one leader at the end.
func TestElectionEnsemble(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three ZooKeeper servers")
	}
	ens := zktest.StartEnsemble(t, 3)
	var cs []*contender
	for _, name := range []string{"a", "b"} {
		e, err := New(Config{Servers: ens.Servers(), Path: "/ens", Prefix: "member_", Data: []byte(name),
			SessionTimeout: testTimeout, Log: zaptest.NewLogger(t).Named(name)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		c := &contender{Elector: e, name: name, cancel: cancel, done: make(chan struct{})}
		go func() { _ = e.Run(ctx); close(c.done) }()
		t.Cleanup(c.stop)
		cs = append(cs, c)
	}
	waitLeader(t, 10*time.Second, cs...)
	for i, a := range ens.Servers() {
		if zktest.Mode(a) == "leader" {
			ens.Kill(i)
		}
	}
	// waitLeader fails on two leaders at once while it polls.
	deadline := time.Now().Add(2 * testTimeout)
	for time.Now().Before(deadline) {
		n := 0
		for _, c := range cs {
			if c.IsLeader() {
				n++
			}
		}
		if n > 1 {
			t.Fatal("two leaders during the ensemble's re-election")
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitLeader(t, 15*time.Second, cs...)
}
