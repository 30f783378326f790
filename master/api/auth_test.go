package api

import (
	"net/http/httptest"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/authn"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestClassify(t *testing.T) {
	for path, want := range map[string]authn.Class{
		"/health":                  authn.Public,
		"/agora/v1/join":           authn.Public,
		"/ui/app.js":               authn.Public,
		"/api/v1/scheduler":        authn.Framework,
		"/agora/v1/agent":          authn.Agent,
		"/api/v1":                  authn.ReadWrite,
		"/logging/toggle":          authn.ReadWrite,
		"/master/state":            authn.ReadOnly,
		"/agents/S1/files/read":    authn.ReadOnly,
		"/some/future/endpoint":    authn.ReadOnly,
		"/metrics/snapshot":        authn.ReadOnly,
		"/master/api/v1/scheduler": authn.Framework,
	} {
		if got := Classify(httptest.NewRequest("GET", path, nil)); got != want {
			t.Errorf("Classify(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestSandboxFramework(t *testing.T) {
	for p, want := range map[string]string{
		"/frameworks/F1/executors/E/runs/latest":                  "F1",
		"/var/lib/agora/slaves/S1/frameworks/F2/executors/E/runs": "F2",
		"/var/lib/agora/slaves":                                   "",
		"":                                                        "",
	} {
		if got := sandboxFramework(p); got != want {
			t.Errorf("sandboxFramework(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestLaunchUsers(t *testing.T) {
	task := func(user string) *mesos.TaskInfo {
		ti := &mesos.TaskInfo{Command: &mesos.CommandInfo{}}
		if user != "" {
			ti.Command.User = proto.String(user)
		}
		return ti
	}
	op := &mesos.Offer_Operation{Type: mesos.Offer_Operation_LAUNCH.Enum(),
		Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{task(""), task("root")}}}
	got := launchUsers(op, "fwuser")
	if len(got) != 2 || got[0] != "fwuser" || got[1] != "root" {
		t.Errorf("launchUsers = %v, want [fwuser root]", got)
	}
}
