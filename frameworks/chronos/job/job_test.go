package job_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/frameworks/chronos/job"
)

func TestDecodeAppliesChronosDefaults(t *testing.T) {
	j, err := job.Decode([]byte(`{"name":"a","command":"true","schedule":"R/2030-01-01T00:00:00Z/PT1H","unknownField":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if !j.Shell || j.Retries != 2 || j.Concurrent || j.Disabled {
		t.Fatalf("defaults: shell=%v retries=%d concurrent=%v disabled=%v", j.Shell, j.Retries, j.Concurrent, j.Disabled)
	}
	j, err = job.Decode([]byte(`{"name":"a","command":"true","shell":false,"retries":0}`))
	if err != nil || j.Shell || j.Retries != 0 {
		t.Fatalf("explicit false/0 lost: %+v %v", j, err)
	}
}

func TestDecodeFullChronosJob(t *testing.T) {
	body := `{"name":"etl #1","command":"echo $X","arguments":["-v"],"shell":true,"epsilon":"PT30S",
	"retries":3,"owner":"a@b.c","ownerName":"A","description":"d","cpus":0.5,"mem":64,"disk":10,
	"disabled":false,"softError":true,"concurrent":true,"runAsUser":"nobody",
	"container":{"type":"DOCKER","image":"busybox","network":"BRIDGE","volumes":[{"containerPath":"/d","hostPath":"/tmp","mode":"RO"}],"forcePullImage":true},
	"environmentVariables":[{"name":"X","value":"1"}],"fetch":[{"uri":"http://h/f","executable":true,"extract":false,"cache":true}],
	"uris":["http://h/g"],"constraints":[["hostname","EQUALS","a1"],["rack","LIKE","r[0-9]"]],
	"parents":["p1","p2"],"successCount":99}`
	j, err := job.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Validate(job.Dependent); err != nil {
		t.Fatal(err)
	}
	if j.Container.Image != "busybox" || len(j.Constraints) != 2 || j.Constraints[1] != (job.Constraint{Attribute: "rack", Operator: "LIKE", Value: "r[0-9]"}) ||
		j.Fetch[0].URI != "http://h/f" || !j.Fetch[0].Executable || j.EnvironmentVariables[0].Value != "1" || j.Retries != 3 {
		t.Fatalf("decoded %+v", j)
	}
	out, err := json.Marshal(j.Normalized())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"constraints":[["hostname","EQUALS","a1"],["rack","LIKE","r[0-9]"]]`) {
		t.Fatalf("constraints not written as triples: %s", out)
	}
	again, err := job.Decode(out)
	if err != nil || again.Name != j.Name || again.Container.Volumes[0].Mode != "RO" {
		t.Fatalf("round trip: %+v %v", again, err)
	}
}

func TestNormalizedWritesEmptyLists(t *testing.T) {
	out, _ := json.Marshal(job.Job{Name: "a"}.Normalized())
	for _, f := range []string{`"arguments":[]`, `"fetch":[]`, `"uris":[]`, `"environmentVariables":[]`, `"constraints":[]`} {
		if !strings.Contains(string(out), f) {
			t.Errorf("%s missing in %s", f, out)
		}
	}
	if strings.Contains(string(out), `"parents"`) || strings.Contains(string(out), `"schedule"`) {
		t.Errorf("empty schedule/parents written: %s", out)
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{``, "empty body"},
		{`{`, "invalid JSON"},
		{`[]`, "want a JSON object"},
		{`{"name":5}`, "name: want a string"},
		{`{"retries":"two"}`, "retries: want a number"},
		{`{"cpus":"1"}`, "cpus: want a number"},
		{`{"parents":"a"}`, "parents: want an array"},
		{`{"shell":"yes"}`, "shell: want true or false"},
		{`{"constraints":[["a","EQUALS"]]}`, "constraints: a constraint has 3 strings"},
		{`{"constraints":["a"]}`, "constraints: each constraint is"},
		{`{"container":{"image":7}}`, "container.image: want a string"},
	} {
		_, err := job.Decode([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) = %v, want error containing %q", tc.body, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := `"name":"a","command":"true"`
	for _, tc := range []struct {
		body string
		kind job.Kind
		want string // "" = valid
	}{
		{`{` + ok + `,"schedule":"R/2030-01-01T00:00:00Z/PT1H"}`, job.Scheduled, ""},
		{`{` + ok + `,"parents":["b"]}`, job.Dependent, ""},
		{`{"command":"true","schedule":"R/x/PT1S"}`, job.Scheduled, "name: required"},
		{`{"name":"a:b","command":"true","schedule":"x"}`, job.Scheduled, "name: \"a:b\" may only contain"},
		{`{"name":"a","schedule":"x"}`, job.Scheduled, "command: required"},
		{`{` + ok + `}`, job.Scheduled, "schedule: required"},
		{`{` + ok + `,"schedule":"x","parents":["b"]}`, job.Scheduled, "parents: a scheduled job has no parents"},
		{`{` + ok + `}`, job.Dependent, "parents: required"},
		{`{` + ok + `,"parents":["a"]}`, job.Dependent, "parents[0]: a job cannot depend on itself"},
		{`{` + ok + `,"parents":["b","b"]}`, job.Dependent, "parents[1]: \"b\" is listed twice"},
		{`{` + ok + `,"parents":["b"],"retries":-1}`, job.Dependent, "retries: must not be negative"},
		{`{` + ok + `,"parents":["b"],"mem":-1}`, job.Dependent, "mem: must not be negative"},
		{`{` + ok + `,"parents":["b"],"epsilon":"30s"}`, job.Dependent, "epsilon: \"30s\" is not an ISO 8601 duration"},
		{`{` + ok + `,"parents":["b"],"async":true}`, job.Dependent, "async: asynchronous jobs are not supported"},
		{`{` + ok + `,"parents":["b"],"constraints":[["h","GROUP_BY","1"]]}`, job.Dependent, "constraints[0]: operator \"GROUP_BY\""},
		{`{` + ok + `,"parents":["b"],"constraints":[["h","LIKE","("]]}`, job.Dependent, "constraints[0]: LIKE value is not a regular expression"},
		{`{` + ok + `,"parents":["b"],"container":{"type":"RKT","image":"i"}}`, job.Dependent, "container.type"},
		{`{` + ok + `,"parents":["b"],"container":{"type":"DOCKER"}}`, job.Dependent, "container.image: required"},
		{`{` + ok + `,"parents":["b"],"container":{"image":"i","volumes":[{"mode":"XX"}]}}`, job.Dependent, "container.volumes[0].containerPath: required"},
		{`{` + ok + `,"parents":["b"],"environmentVariables":[{"value":"1"}]}`, job.Dependent, "environmentVariables[0].name: required"},
		{`{` + ok + `,"parents":["b"],"fetch":[{"uri":""}]}`, job.Dependent, "fetch[0].uri: required"},
	} {
		j, err := job.Decode([]byte(tc.body))
		if err != nil {
			t.Fatalf("Decode(%s): %v", tc.body, err)
		}
		err = j.Validate(tc.kind)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Validate(%s) = %v, want valid", tc.body, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Validate(%s) = %v, want %q", tc.body, err, tc.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"PT30S": 30 * time.Second, "PT1H30M": 90 * time.Minute, "P1D": 24 * time.Hour,
		"P1W": 7 * 24 * time.Hour, "PT0.5S": 500 * time.Millisecond, "P1DT1S": 24*time.Hour + time.Second,
	} {
		if got, err := job.ParseDuration(s); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "P", "PT", "30S", "P1Y", "P1M", "PT1X", "-PT1S"} {
		if _, err := job.ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) accepted", s)
		}
	}
}

func TestTaskIDRoundTrip(t *testing.T) {
	due := time.UnixMilli(1700000000123).UTC()
	id := job.TaskID{Due: due, Attempt: 2, Job: "etl #1", Arguments: "-v a:b"}
	s := id.String()
	if s != "ct:1700000000123:2:etl #1:-v a:b" {
		t.Fatalf("String = %q", s)
	}
	got, err := job.ParseTaskID(s)
	if err != nil || got != id {
		t.Fatalf("ParseTaskID = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "ct:1:2:x", "xx:1:2:x:", "ct:a:2:x:", "ct:1:-1:x:", "ct:1:1::"} {
		if _, err := job.ParseTaskID(bad); err == nil {
			t.Errorf("ParseTaskID(%q) accepted", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","command":"true","schedule":"R/2030-01-01T00:00:00Z/PT1H"}`,
		`{"name":"b","command":"x","parents":["a"],"constraints":[["hostname","LIKE","a.*"]]}`,
		`{"container":{"type":"DOCKER","image":"i","volumes":[{"containerPath":"/x"}]}}`,
		`{"retries":null,"shell":null}`, `[]`, `null`, `{"constraints":[[1,2,3]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := job.Decode(data)
		if err != nil {
			return
		}
		_ = j.Validate(job.Scheduled)
		_ = j.Validate(job.Dependent)
		out, err := json.Marshal(j.Normalized())
		if err != nil {
			t.Fatalf("Marshal of a decoded job: %v", err)
		}
		again, err := job.Decode(out)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if again.Name != j.Name || again.Command != j.Command || again.Retries != j.Retries || again.Shell != j.Shell {
			t.Fatalf("round trip changed the job: %+v vs %+v", again, j)
		}
	})
}
