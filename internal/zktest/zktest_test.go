package zktest

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// One server, restarted with its data: a znode written before the restart
// is there after it, and a client can use it both times.
func TestStartRestart(t *testing.T) {
	s := Start(t)
	if !Ruok(s.Addr) || Mode(s.Addr) != "standalone" {
		t.Fatalf("server %s: ruok=%v mode=%q", s.Addr, Ruok(s.Addr), Mode(s.Addr))
	}
	c, _, err := zk.Connect([]string{s.Addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create("/kept", []byte("v"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	got, _, err := c.Get("/kept")
	if err != nil || string(got) != "v" {
		t.Fatalf("after restart Get = %q, %v", got, err)
	}
	s.Stop()
	if Ruok(s.Addr) {
		t.Fatal("server still answers after Stop")
	}
}

// A three-server ensemble keeps serving writes with one member killed, and
// the member rejoins on restart.
func TestEnsemble(t *testing.T) {
	e := StartEnsemble(t, 3)
	leaders := 0
	for _, a := range e.Servers() {
		if Mode(a) == "leader" {
			leaders++
		}
	}
	if leaders != 1 {
		t.Fatalf("ensemble has %d leaders", leaders)
	}
	e.Kill(0)
	c, _, err := zk.Connect(e.Servers()[1:], 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create("/x", []byte("v"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("write with one member down: %v", err)
	}
	e.Restart(t, 0)
	if m := Mode(e.Servers()[0]); m != "follower" && m != "leader" {
		t.Fatalf("restarted member mode %q", m)
	}
}

// A partitioned client loses its session; after Heal it gets a new one.
func TestProxyPartition(t *testing.T) {
	s := Start(t)
	p := NewProxy(t, s.Addr)
	c, ev, err := zk.Connect([]string{p.Addr}, 2*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitState(t, ev, zk.StateHasSession)
	p.Partition()
	waitState(t, ev, zk.StateDisconnected)
	// Past the session timeout the server has expired the session.
	time.Sleep(2 * time.Second)
	p.Heal()
	waitState(t, ev, zk.StateExpired)
	waitState(t, ev, zk.StateHasSession)
}

func waitState(t *testing.T, ev <-chan zk.Event, want zk.State) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %v within 10s", want)
		}
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
