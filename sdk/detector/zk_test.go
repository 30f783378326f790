package detector

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/election"
	"github.com/agoraproject/agora/internal/zktest"
)

// TestDetectFollowsTheLeader contends with two MasterInfo znodes on a real
// ZooKeeper and checks Detect names the first, then the second once the
// first resigns.
func TestDetectFollowsTheLeader(t *testing.T) {
	zk := zktest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	contend := func(ip string) context.CancelFunc {
		el, err := election.New(election.Config{Servers: []string{zk.Addr}, Path: "/agora", Prefix: Prefix,
			Data: []byte(`{"id":"m","port":5050,"address":{"ip":"` + ip + `","port":5050}}`), SessionTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { _ = el.Run(cctx); close(done) }()
		for !el.IsLeader() {
			if _, ok := el.Leader(); ok {
				break
			}
			select {
			case <-el.Changes():
			case <-ctx.Done():
				t.Fatal("no election result")
			}
		}
		return func() { stop(); <-done }
	}
	stopFirst := contend("10.0.0.1")
	defer contend("10.0.0.2")()

	leaders, err := Detect(ctx, "zk://"+zk.Addr+"/agora", nil)
	if err != nil {
		t.Fatal(err)
	}
	next := func(want string) {
		t.Helper()
		for {
			select {
			case u := <-leaders:
				if u != nil && u.String() == want {
					return
				}
			case <-ctx.Done():
				t.Fatalf("leader %s not detected", want)
			}
		}
	}
	next("http://10.0.0.1:5050")
	stopFirst() // resigns: its znode is deleted
	next("http://10.0.0.2:5050")

	u, err := Leader(ctx, "zk://"+zk.Addr+"/agora", nil)
	if err != nil || u.String() != (&url.URL{Scheme: "http", Host: "10.0.0.2:5050"}).String() {
		t.Fatalf("Leader = %v, %v", u, err)
	}
}
