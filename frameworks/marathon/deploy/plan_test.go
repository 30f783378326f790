package deploy

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

func mk(t *testing.T, body string) *app.App {
	t.Helper()
	a, err := app.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a.Normalize()
	return a
}

func apps(as ...*app.App) map[string]*app.App {
	m := map[string]*app.App{}
	for _, a := range as {
		m[a.ID] = a
	}
	return m
}

// render prints a plan compactly: steps separated by " | ", actions by ",".
func render(steps []state.Step) string {
	var parts []string
	for _, s := range steps {
		var as []string
		for _, a := range s.Actions {
			as = append(as, strings.TrimSuffix(a.Action, "Application")+" "+a.App)
		}
		parts = append(parts, strings.Join(as, ","))
	}
	return strings.Join(parts, " | ")
}

func TestPlanClassifies(t *testing.T) {
	cur := apps(
		mk(t, `{"id":"/gone","cmd":"x"}`),
		mk(t, `{"id":"/same","cmd":"x","instances":2}`),
		mk(t, `{"id":"/scaled","cmd":"x","instances":2}`),
		mk(t, `{"id":"/changed","cmd":"x"}`),
		mk(t, `{"id":"/kicked","cmd":"x"}`),
	)
	tgt := apps(
		mk(t, `{"id":"/same","cmd":"x","instances":2,"version":"v2"}`),
		mk(t, `{"id":"/scaled","cmd":"x","instances":5}`),
		mk(t, `{"id":"/changed","cmd":"y"}`),
		mk(t, `{"id":"/kicked","cmd":"x"}`),
		mk(t, `{"id":"/new","cmd":"x","instances":3}`),
		mk(t, `{"id":"/new-empty","cmd":"x","instances":0}`),
	)
	got := render(Plan(cur, tgt, nil, []string{"kicked"}))
	want := "Stop /gone | Start /new,Start /new-empty | Restart /changed,Restart /kicked,Scale /new,Scale /scaled"
	if got != want {
		t.Errorf("plan\n got %s\nwant %s", got, want)
	}
	if steps := Plan(cur, cur, nil, nil); steps == nil || len(steps) != 0 {
		t.Errorf("no-op plan = %#v, want empty non-nil", steps)
	}
}

func TestPlanDependencyOrder(t *testing.T) {
	tgt := apps(
		mk(t, `{"id":"/prod/web","cmd":"x","dependencies":["api"]}`),
		mk(t, `{"id":"/prod/api","cmd":"x","dependencies":["/prod/db"]}`),
		mk(t, `{"id":"/prod/db","cmd":"x"}`),
		mk(t, `{"id":"/prod/cache","cmd":"x"}`),
		mk(t, `{"id":"/front/lb","cmd":"x"}`),
		mk(t, `{"id":"/monitor","cmd":"x","dependencies":["/front"]}`),
	)
	// The /front group depends on the whole /prod group.
	groups := []state.Group{{ID: "/front", Dependencies: []string{"/prod"}}}
	if vs := CheckDependencies(tgt, groups); vs != nil {
		t.Fatalf("violations %v", vs)
	}
	got := render(Plan(nil, tgt, groups, nil))
	want := "Start /front/lb,Start /monitor,Start /prod/api,Start /prod/cache,Start /prod/db,Start /prod/web" +
		" | Scale /prod/cache,Scale /prod/db | Scale /prod/api | Scale /prod/web | Scale /front/lb | Scale /monitor"
	if got != want {
		t.Errorf("plan\n got %s\nwant %s", got, want)
	}
}

func TestCheckDependencies(t *testing.T) {
	tgt := apps(
		mk(t, `{"id":"/a","cmd":"x","dependencies":["/b"]}`),
		mk(t, `{"id":"/b","cmd":"x","dependencies":["/c"]}`),
		mk(t, `{"id":"/c","cmd":"x","dependencies":["/a","/nothing"]}`),
		mk(t, `{"id":"/d","cmd":"x"}`),
	)
	vs := CheckDependencies(tgt, []state.Group{{ID: "/d", Dependencies: []string{"/ghost"}}})
	got := fmt.Sprint(vs)
	for _, want := range []string{
		"{/dependencies(1) [dependency '/nothing' of app '/c' names no app or group]}",
		"{/dependencies(0) [dependency '/ghost' of group '/d' names no app or group]}",
		"{/ [Dependency graph has cyclic dependencies: /a → /b → /c → /a]}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violations %s lack %s", got, want)
		}
	}
	// A plan over a cycle still terminates deterministically.
	p1, p2 := Plan(nil, tgt, nil, nil), Plan(nil, tgt, nil, nil)
	if !reflect.DeepEqual(p1, p2) {
		t.Errorf("plans differ")
	}
}
