package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/acl"
	"github.com/agoraproject/agora/internal/authn"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/recordio"
)

// alice may view only what runs as user alice; ops may view everything;
// nobody else sees anything.
const viewACLs = `{
  "view_frameworks": [
    {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
    {"principals": {"values": ["alice"]}, "users": {"values": ["alice"]}},
    {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}
  ],
  "view_tasks": [
    {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
    {"principals": {"values": ["alice"]}, "users": {"values": ["alice"]}},
    {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}
  ],
  "view_executors": [
    {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
    {"principals": {"values": ["alice"]}, "users": {"values": ["alice"]}},
    {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}
  ]
}`

func TestAllowsEverything(t *testing.T) {
	a, err := acl.Parse([]byte(viewACLs))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		principal string
		want      bool
	}{{"ops", true}, {"alice", false}, {"bob", false}, {"", false}} {
		if got := allowsEverything(a, acl.ViewTasks, c.principal); got != c.want {
			t.Errorf("allowsEverything(view_tasks, %q) = %v, want %v", c.principal, got, c.want)
		}
	}
	if !allowsEverything(acl.AllowAll{}, acl.ViewTasks, "") || !allowsEverything(&acl.ACLs{Permissive: true}, acl.ViewTasks, "x") {
		t.Error("no ACLs must allow everything")
	}
	some, _ := acl.Parse([]byte(`{"view_tasks": [{"principals": {"values": ["bob"]}, "users": {"values": ["bob"]}}]}`))
	if !allowsEverything(some, acl.ViewTasks, "bob") || !allowsEverything(some, acl.ViewTasks, "carol") {
		t.Error("an allowing rule under a permissive file must keep the fast path")
	}
	deny, _ := acl.Parse([]byte(`{"view_tasks": [{"principals": {"type": "NONE"}, "users": {"values": ["root"]}}]}`))
	if allowsEverything(deny, acl.ViewTasks, "carol") {
		t.Error("a rule hiding root's tasks from everyone must filter")
	}
}

// A principal allowed to view only its own user's frameworks, tasks and
// executors sees nothing of another's in any state read, in JSON or
// protobuf, nor in the operator event stream; one allowed everything
// sees both.
func TestViewACLsFilterStateAndStream(t *testing.T) {
	om := startOperatorMaster(t, nil)
	ags := []*fakeAgent{registerAgent(t, om.srv, "cpus:4;mem:1024")}
	user := func(name string) *mesos.FrameworkInfo {
		info := webFramework(name + "-framework")
		info.User = proto.String(name)
		return info
	}
	alice := subscribeFramework(t, om.srv.URL, user("alice"))
	alice.launch(ags[0], "alice-task", "")
	var bob *pbFramework

	creds, err := authn.ParseCredentials([]byte("alice pa\nbob pb\nops po\n"))
	if err != nil {
		t.Fatal(err)
	}
	acls, err := acl.Parse([]byte(viewACLs))
	if err != nil {
		t.Fatal(err)
	}
	sec := Security{Authenticator: authn.NewStatic(creds), Authorizer: acls}
	om.h.SetSecurity(sec)
	srv := httptest.NewServer(Protect(om.h, sec))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })

	do := func(principal, method, path string, c codec.Codec, call *masterpb.Call) []byte {
		t.Helper()
		var body io.Reader
		if call != nil {
			b, _ := c.Marshal(call)
			body = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
		req.SetBasicAuth(principal, map[string]string{"alice": "pa", "bob": "pb", "ops": "po"}[principal])
		if c != nil {
			req.Header.Set("Content-Type", c.MediaType())
			req.Header.Set("Accept", c.MediaType())
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s as %s: %d %s", method, path, principal, resp.StatusCode, b)
		}
		return b
	}
	// Protobuf keeps strings verbatim, so looking for the names works in
	// both encodings.
	secretsOf := map[string][][]byte{
		"alice": {[]byte(alice.id), []byte("alice-task"), []byte("alice-framework")},
	}
	check := func(what string, b []byte, sees map[string]bool) {
		t.Helper()
		for owner, secrets := range secretsOf {
			for _, s := range secrets {
				if got := bytes.Contains(b, s); got != sees[owner] {
					t.Errorf("%s: shows %q = %v, want %v", what, s, got, sees[owner])
				}
			}
		}
	}
	reads := func(principal string, sees map[string]bool) {
		for _, p := range []string{"/master/state", "/state.json", "/master/state-summary"} {
			b := do(principal, http.MethodGet, p, nil, nil)
			if p == "/master/state-summary" {
				// The summary has no task or executor names.
				sums := secretsOf
				secretsOf = map[string][][]byte{"alice": {[]byte(alice.id), []byte("alice-framework")}, "bob": {[]byte(bob.id), []byte("bob-framework")}}
				check(principal+" "+p, b, sees)
				secretsOf = sums
				continue
			}
			check(principal+" "+p, b, sees)
		}
		for _, c := range encodings {
			check(principal+" GET_STATE "+c.MediaType(), do(principal, http.MethodPost, "/api/v1", c, callOf(masterpb.Call_GET_STATE)), sees)
			b := do(principal, http.MethodPost, "/api/v1", c, callOf(masterpb.Call_GET_TASKS))
			for owner, task := range map[string]string{"alice": "alice-task", "bob": "bob-task"} {
				if bytes.Contains(b, []byte(task)) != sees[owner] {
					t.Errorf("%s GET_TASKS %s: shows %s = %v", principal, c.MediaType(), task, !sees[owner])
				}
			}
			b = do(principal, http.MethodPost, "/api/v1", c, callOf(masterpb.Call_GET_FRAMEWORKS))
			for owner, id := range map[string]string{"alice": alice.id, "bob": bob.id} {
				if bytes.Contains(b, []byte(id)) != sees[owner] {
					t.Errorf("%s GET_FRAMEWORKS %s: shows %s's framework = %v", principal, c.MediaType(), owner, !sees[owner])
				}
			}
			b = do(principal, http.MethodPost, "/api/v1", c, callOf(masterpb.Call_GET_EXECUTORS))
			if bytes.Contains(b, []byte("bob-executor")) != sees["bob"] {
				t.Errorf("%s GET_EXECUTORS %s: shows bob's executor = %v", principal, c.MediaType(), !sees["bob"])
			}
		}
	}
	// alice's streams start before bob exists: bob's framework and task
	// events, then an update of alice's task, which comes after them in
	// the master's order.
	type stream struct {
		c       codec.Codec
		records chan []byte
	}
	var streams []stream
	for _, c := range encodings {
		b, _ := c.Marshal(callOf(masterpb.Call_SUBSCRIBE))
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1", bytes.NewReader(b))
		req.SetBasicAuth("alice", "pa")
		req.Header.Set("Content-Type", c.MediaType())
		req.Header.Set("Accept", c.MediaType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		records := make(chan []byte, 1000)
		go func() {
			defer close(records)
			r := recordio.NewReader(resp.Body, 64<<20)
			for {
				rec, err := r.ReadRecord()
				if err != nil {
					return
				}
				records <- rec
			}
		}()
		streams = append(streams, stream{c, records})
	}
	bob = subscribeFramework(t, om.srv.URL, user("bob"))
	bob.launch(ags[0], "bob-task", "bob-executor")
	ags[0].update(bob.id, "bob-task", mesos.TaskState_TASK_RUNNING, bytes.Repeat([]byte{7}, 16))
	ags[0].update(alice.id, "alice-task", mesos.TaskState_TASK_RUNNING, bytes.Repeat([]byte{8}, 16))
	for _, st := range streams {
		first := true
		for done := false; !done; {
			var rec []byte
			select {
			case r, ok := <-st.records:
				if !ok {
					t.Fatalf("%s: stream ended", st.c.MediaType())
				}
				rec = r
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no update of alice's task", st.c.MediaType())
			}
			e := &masterpb.Event{}
			if err := st.c.Unmarshal(rec, e); err != nil {
				t.Fatal(err)
			}
			if first && !bytes.Contains(rec, []byte("alice-task")) {
				t.Errorf("%s: alice's snapshot lacks her task", st.c.MediaType())
			}
			first = false
			if bytes.Contains(rec, []byte(bob.id)) || bytes.Contains(rec, []byte("bob-")) {
				t.Fatalf("%s: alice's stream shows bob's %v: %s", st.c.MediaType(), e.GetType(), rec)
			}
			done = e.GetType() == masterpb.Event_TASK_UPDATED && bytes.Equal(e.GetTaskUpdated().GetStatus().GetUuid(), bytes.Repeat([]byte{8}, 16))
		}
	}

	secretsOf["bob"] = [][]byte{[]byte(bob.id), []byte("bob-task"), []byte("bob-framework"), []byte("bob-executor")}
	reads("alice", map[string]bool{"alice": true})
	reads("bob", map[string]bool{}) // bob is allowed nothing by the ACLs
	reads("ops", map[string]bool{"alice": true, "bob": true})
}
