package acl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The example file follows Mesos's authorization documentation: each
// action has a rule granting a named principal, a rule denying everyone
// else on that object, and permissive decides the rest.
const example = `{
  "permissive": false,
  "register_frameworks": [
    {"principals": {"values": ["marathon"]}, "roles": {"values": ["web", "batch"]}},
    {"principals": {"type": "NONE"}, "roles": {"values": ["web"]}},
    {"principals": {"type": "ANY"}, "roles": {"values": ["*"]}}
  ],
  "run_tasks": [
    {"principals": {"values": ["marathon"]}, "users": {"values": ["www"]}},
    {"principals": {"type": "ANY"}, "users": {"values": ["nobody"]}},
    {"principals": {"type": "NONE"}, "users": {"values": ["root"]}}
  ],
  "teardown_frameworks": [
    {"principals": {"values": ["ops"]}, "framework_principals": {"type": "ANY"}}
  ],
  "view_frameworks": [
    {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
    {"principals": {"values": ["alice"]}, "users": {"values": ["alice"]}}
  ],
  "view_tasks": [
    {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
    {"principals": {"values": ["alice"]}, "users": {"values": ["alice"]}}
  ],
  "view_executors": [
    {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}}
  ],
  "access_sandboxes": [
    {"principals": {"values": ["ops"]}, "users": {"type": "NONE"}},
    {"principals": {"values": ["alice"]}, "users": {"values": ["alice"]}}
  ],
  "update_weights": [
    {"principals": {"values": ["ops"]}, "roles": {"values": ["web"]}}
  ],
  "mark_agents_gone": [
    {"principals": {"values": ["ops"]}, "agents": {"type": "ANY"}}
  ]
}`

func TestAllowedEveryAction(t *testing.T) {
	a, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action    Action
		principal string
		object    string
		want      bool
		reason    string // a substring of the reason
	}{
		{RegisterFrameworks, "marathon", "web", true, "register_frameworks[0]"},
		{RegisterFrameworks, "chronos", "web", false, "denied by register_frameworks[1]"},
		{RegisterFrameworks, "", "web", false, "register_frameworks[1]"},
		{RegisterFrameworks, "chronos", "*", true, "register_frameworks[2]"},
		{RegisterFrameworks, "", "*", true, "register_frameworks[2]"},
		{RegisterFrameworks, "chronos", "batch", false, "permissive is false"},
		{RunTasks, "marathon", "www", true, "run_tasks[0]"},
		{RunTasks, "chronos", "www", false, "no rule matched"},
		{RunTasks, "chronos", "nobody", true, "run_tasks[1]"},
		{RunTasks, "marathon", "root", false, `principal "marathon" on users "root"`},
		{RunTasks, "chronos", "", false, "no rule matched"}, // an unspecified user matches only ANY/NONE rules
		{TeardownFrameworks, "ops", "marathon", true, "teardown_frameworks[0]"},
		{TeardownFrameworks, "ops", "", true, "teardown_frameworks[0]"},
		{TeardownFrameworks, "alice", "marathon", false, "no rule matched"},
		{ViewFrameworks, "ops", "root", true, "view_frameworks[0]"},
		{ViewFrameworks, "alice", "alice", true, "view_frameworks[1]"},
		{ViewFrameworks, "alice", "bob", false, "no rule matched"},
		{ViewTasks, "alice", "alice", true, "view_tasks[1]"},
		{ViewTasks, "", "alice", false, "no rule matched"},
		{ViewExecutors, "ops", "alice", true, "view_executors[0]"},
		{ViewExecutors, "alice", "alice", false, "no rule matched"},
		{AccessSandboxes, "ops", "alice", false, "denied by access_sandboxes[0]"},
		{AccessSandboxes, "alice", "alice", true, "access_sandboxes[1]"},
		{UpdateWeights, "ops", "web", true, "update_weights[0]"},
		{UpdateWeights, "ops", "batch", false, "no rule matched"},
		{MarkAgentsGone, "ops", "", true, "mark_agents_gone[0]"},
		{MarkAgentsGone, "ops", "agent-7", true, "mark_agents_gone[0]"},
		{MarkAgentsGone, "alice", "", false, "no rule matched"},
		{Action("reserve_resources"), "ops", "web", false, "unknown action"},
	}
	for _, tt := range tests {
		got, reason := a.Allowed(tt.action, tt.principal, tt.object)
		if got != tt.want || !strings.Contains(reason, tt.reason) {
			t.Errorf("Allowed(%s, %q, %q) = %v, %q; want %v with %q", tt.action, tt.principal, tt.object, got, reason, tt.want, tt.reason)
		}
	}
}

func TestPermissiveDecidesUnmatched(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want bool
	}{
		{`{}`, true}, // Mesos's default is permissive
		{`{"permissive": true, "run_tasks": [{"principals": {"values": ["a"]}, "users": {"values": ["root"]}}]}`, true},
		{`{"permissive": false, "run_tasks": [{"principals": {"values": ["a"]}, "users": {"values": ["root"]}}]}`, false},
		{`{"permissive": false}`, false},
	} {
		a, err := Parse([]byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		if got, reason := a.Allowed(RunTasks, "b", "www"); got != tt.want {
			t.Errorf("%s: Allowed = %v (%s), want %v", tt.doc, got, reason, tt.want)
		}
	}
	if ok, _ := (AllowAll{}).Allowed(AccessSandboxes, "", ""); !ok {
		t.Error("AllowAll denied")
	}
}

func TestAnyAndNoneSubjects(t *testing.T) {
	a, err := Parse([]byte(`{"permissive": true,
	  "view_tasks": [
	    {"principals": {"type": "NONE"}, "users": {"values": ["secret"]}},
	    {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}
	  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	// NONE applies to every principal, named or anonymous, and denies.
	for _, p := range []string{"ops", ""} {
		if ok, _ := a.Allowed(ViewTasks, p, "secret"); ok {
			t.Errorf("principal %q may view user secret's tasks", p)
		}
		// The second rule matches every user and grants no one.
		if ok, _ := a.Allowed(ViewTasks, p, "www"); ok {
			t.Errorf("principal %q may view user www's tasks", p)
		}
	}
}

func TestFilter(t *testing.T) {
	a, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	type task struct{ id, user string }
	tasks := []task{{"t1", "alice"}, {"t2", "bob"}, {"t3", "alice"}}
	got := Filter(a, ViewTasks, "alice", tasks, func(t task) string { return t.user })
	if len(got) != 2 || got[0].id != "t1" || got[1].id != "t3" {
		t.Errorf("alice sees %v, want t1 and t3", got)
	}
	if got := Filter(a, ViewTasks, "ops", tasks, func(t task) string { return t.user }); len(got) != 3 {
		t.Errorf("ops sees %v, want all", got)
	}
	if len(tasks) != 3 || tasks[1].id != "t2" {
		t.Errorf("Filter changed its input: %v", tasks)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`[]`, "invalid JSON"},
		{`null`, "want a JSON object"},
		{`{"permissive": "yes"}`, "permissive"},
		{`{"reserve_resources": []}`, `"reserve_resources" is not an action`},
		{`{"run_tasks": {}}`, "run_tasks: want a list"},
		{`{"run_tasks": [{"principals": {"type": "ANY"}}]}`, "run_tasks[0].users is required"},
		{`{"run_tasks": [{"users": {"type": "ANY"}}]}`, "run_tasks[0].principals is required"},
		{`{"run_tasks": [{"principals": {"type": "ANY"}, "roles": {"type": "ANY"}}]}`, `run_tasks[0]: unknown key "roles"`},
		{`{"register_frameworks": [{"principals": {"type": "ALL"}, "roles": {"type": "ANY"}}]}`, `register_frameworks[0].principals: type "ALL"`},
		{`{"register_frameworks": [{"principals": {"values": []}, "roles": {"type": "ANY"}}]}`, `register_frameworks[0].principals: "values" is empty`},
		{`{"update_weights": [{"principals": {"type": "ANY"}, "roles": {"type": "NONE", "values": ["a"]}}]}`, `update_weights[0].roles: "values" given with type NONE`},
		{`{"view_tasks": [{"principals": {"value": ["a"]}, "users": {"type": "ANY"}}]}`, `view_tasks[0].principals: json: unknown field "value"`},
		{`{"view_tasks": [{"principals": {"values": [""]}, "users": {"type": "ANY"}}]}`, `view_tasks[0].principals: values[0] is empty`},
		{`{"mark_agents_gone": [{"principals": null, "agents": {"type": "ANY"}}]}`, `mark_agents_gone[0].principals is required`},
	} {
		_, err := Parse([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", tt.doc, err, tt.want)
		}
	}
}

func TestLoadFlagForms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acls.json")
	if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{example, path, "file://" + path} {
		a, err := Load(v)
		if err != nil {
			t.Fatalf("Load(%.20q): %v", v, err)
		}
		if a.Permissive || len(a.Rules[RunTasks]) != 3 {
			t.Errorf("Load(%.20q) = %+v", v, a)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Load(missing) = %v, want an error naming the file", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte(`{"permissive": false}`))
	f.Add([]byte(`{"run_tasks": [{"principals": {"type": "ANY"}, "users": {"values": ["a"]}}]}`))
	f.Add([]byte(`{"view_tasks": [{"principals": {"type": 1}, "users": null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever parses evaluates without panicking and explains itself.
		for _, act := range Actions() {
			for _, p := range []string{"", "a"} {
				if _, reason := a.Allowed(act, p, "a"); reason == "" {
					t.Fatalf("no reason for %s", act)
				}
			}
		}
	})
}
