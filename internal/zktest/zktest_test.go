package zktest

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// One server, restarted with its data: a znode written before the restart
// is there after it, and a client can use it both times. It grants the
// session timeouts tests ask for, from 1 s to the election's 4 s and
// Mesos's 10 s, clamped to MaxSessionTimeout above.
func TestStartRestart(t *testing.T) {
	s := Start(t)
	if !Ruok(s.Addr) || Mode(s.Addr) != "standalone" {
		t.Fatalf("server %s: ruok=%v mode=%q", s.Addr, Ruok(s.Addr), Mode(s.Addr))
	}
	for _, c := range []struct{ ask, want time.Duration }{
		{time.Second, time.Second}, {4 * time.Second, 4 * time.Second}, {10 * time.Second, 10 * time.Second},
		{time.Minute, MaxSessionTimeout}, {100 * time.Millisecond, MinSessionTimeout},
	} {
		if got := grantedTimeout(t, s.Addr, c.ask); got != c.want {
			t.Errorf("session timeout %v: granted %v, want %v", c.ask, got, c.want)
		}
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

// grantedTimeout opens a session with a raw ConnectRequest and returns the
// timeout in the server's ConnectResponse (the Go client keeps it private).
func grantedTimeout(t *testing.T, addr string, ask time.Duration) time.Duration {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	// protocolVersion, lastZxidSeen, timeOut, sessionId, passwd (16 bytes).
	req := binary.BigEndian.AppendUint32(nil, 0)
	req = binary.BigEndian.AppendUint64(req, 0)
	req = binary.BigEndian.AppendUint32(req, uint32(ask.Milliseconds()))
	req = binary.BigEndian.AppendUint64(req, 0)
	req = binary.BigEndian.AppendUint32(req, 16)
	req = append(req, make([]byte, 16)...)
	if _, err := c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(req))), req...)); err != nil {
		t.Fatal(err)
	}
	// length, protocolVersion, timeOut.
	var resp [12]byte
	if _, err := io.ReadFull(c, resp[:]); err != nil {
		t.Fatalf("connect response: %v", err)
	}
	return time.Duration(binary.BigEndian.Uint32(resp[8:12])) * time.Millisecond
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
