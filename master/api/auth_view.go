package api

import (
	"net/http"
	"slices"

	"github.com/agoraproject/agora/internal/acl"
	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
)

// View filtering (view_frameworks, view_tasks, view_executors). A read of
// the state is filtered before it is assembled: frameworks, tasks and
// executors the principal may not see are left out of the State copy, so
// their kept encodings are simply never added to the response. Agents are
// not filtered (Mesos has no view ACL for them here).
//
// The objects are users, as in Mesos: a framework's FrameworkInfo.user; a
// task's CommandInfo.user, else its framework's; a custom executor's
// CommandInfo.user, else its framework's. A task is shown only inside a
// framework the principal may view, so nothing of a hidden framework —
// not even its ID on a task — is shown.
//
// Without ACLs, or for a principal the ACLs let view everything, there is
// no viewer (nil) and reads take the unfiltered path unchanged.

// viewer decides what one principal may see, remembering each decision
// (users are few; tasks are many). It is used by one goroutine.
type viewer struct {
	a         acl.Authorizer
	principal string
	memo      map[viewKey]bool
}

type viewKey struct {
	action acl.Action
	user   string
}

// viewActions are the actions that filter reads.
var viewActions = []acl.Action{acl.ViewFrameworks, acl.ViewTasks, acl.ViewExecutors}

// viewerFor returns the request's viewer, or nil when the principal may
// see everything.
func (h *Handler) viewerFor(r *http.Request) *viewer {
	if h.sec == nil || h.sec.Authorizer == nil {
		return nil
	}
	return newViewer(h.sec.Authorizer, principalOf(r))
}

func newViewer(a acl.Authorizer, principal string) *viewer {
	all := true
	for _, action := range viewActions {
		all = all && allowsEverything(a, action, principal)
	}
	if all {
		return nil
	}
	return &viewer{a: a, principal: principal, memo: map[viewKey]bool{}}
}

// allowsEverything reports whether principal is allowed action on every
// object, unnamed included. It may answer false for an authorizer it
// does not know, which only costs the filtering.
func allowsEverything(a acl.Authorizer, action acl.Action, principal string) bool {
	switch a := a.(type) {
	case acl.AllowAll:
		return true
	case *acl.ACLs:
		for _, r := range a.Rules[action] {
			if !entityMatches(r.Principals, principal) {
				continue
			}
			switch r.Objects.Type {
			case acl.Any: // decides for every object left
				return r.Principals.Type == acl.Any || (r.Principals.Type == acl.Some && principal != "")
			case acl.None:
				return false
			}
			// A rule on some users: it must allow them.
			if r.Principals.Type != acl.Any && !(r.Principals.Type == acl.Some && principal != "") {
				return false
			}
		}
		return a.Permissive
	}
	return false
}

// entityMatches is whether a rule's subject applies to principal, as the
// acl package matches it.
func entityMatches(e acl.Entity, principal string) bool {
	switch {
	case principal == "":
		return e.Type == acl.Any || e.Type == acl.None
	case e.Type == acl.Any || e.Type == acl.None:
		return true
	}
	return slices.Contains(e.Values, principal)
}

// can reports whether the principal may see action's object user.
func (v *viewer) can(action acl.Action, user string) bool {
	k := viewKey{action, user}
	ok, seen := v.memo[k]
	if !seen {
		ok, _ = v.a.Allowed(action, v.principal, user)
		v.memo[k] = ok
	}
	return ok
}

// taskUser is the user a task runs as.
func taskUser(t *master.TaskView, frameworkUser string) string {
	if u := t.Info.GetCommand().GetUser(); u != "" {
		return u
	}
	return frameworkUser
}

func executorUser(e *mesos.ExecutorInfo, frameworkUser string) string {
	if u := e.GetCommand().GetUser(); u != "" {
		return u
	}
	return frameworkUser
}

// state is s without what the viewer may not see; s itself when v is
// nil. The copy shares everything it keeps with s.
func (v *viewer) state(s *master.State) *master.State {
	if v == nil {
		return s
	}
	out := *s
	out.Frameworks = v.frameworks(s.Frameworks)
	out.CompletedFrameworks = v.frameworks(s.CompletedFrameworks)
	return &out
}

func (v *viewer) frameworks(fs []master.FrameworkView) []master.FrameworkView {
	out := make([]master.FrameworkView, 0, len(fs))
	for i := range fs {
		f := fs[i]
		user := f.Info.GetUser()
		if !v.can(acl.ViewFrameworks, user) {
			continue
		}
		tasks := v.tasks(f.Tasks, user)
		if len(tasks) != len(f.Tasks) {
			f.TaskSet = 0 // the executor cache keys on the whole set
		}
		f.Tasks = tasks
		f.CompletedTasks = v.tasks(f.CompletedTasks, user)
		if len(f.Executors) > 0 {
			var es []master.ExecutorView
			for _, e := range f.Executors {
				if v.can(acl.ViewExecutors, executorUser(e.Info, user)) {
					es = append(es, e)
				}
			}
			f.Executors = es
		}
		out = append(out, f)
	}
	return out
}

// tasks keeps the visible tasks; ts itself when all are.
func (v *viewer) tasks(ts []*master.TaskView, frameworkUser string) []*master.TaskView {
	for i, t := range ts {
		if v.can(acl.ViewTasks, taskUser(t, frameworkUser)) {
			continue
		}
		out := slices.Clip(ts[:i:i])
		for _, t := range ts[i+1:] {
			if v.can(acl.ViewTasks, taskUser(t, frameworkUser)) {
				out = append(out, t)
			}
		}
		return out
	}
	return ts
}

// executorEntries keeps the /master/state executors the viewer may see:
// custom ones by their command's user, those implied by tasks by the
// task's user.
func (v *viewer) executorEntries(f *master.FrameworkView, es []executorEntry) []executorEntry {
	if v == nil || len(es) == 0 {
		return es
	}
	user := f.Info.GetUser()
	if v.can(acl.ViewExecutors, user) && len(f.Executors) == 0 {
		// Implied executors run as their tasks' users.
		all := true
		for _, t := range f.Tasks {
			all = all && v.can(acl.ViewExecutors, taskUser(t, user))
		}
		for _, t := range f.CompletedTasks {
			all = all && v.can(acl.ViewExecutors, taskUser(t, user))
		}
		if all {
			return es
		}
	}
	users := map[executorRef]string{}
	for _, list := range [][]*master.TaskView{f.Tasks, f.CompletedTasks} {
		for _, t := range list {
			id := t.ExecutorID
			if id == "" {
				id = t.ID
			}
			users[executorRef{t.AgentID, id}] = taskUser(t, user)
		}
	}
	for _, e := range f.Executors {
		users[executorRef{e.AgentID, e.ID}] = executorUser(e.Info, user)
	}
	var out []executorEntry
	for _, e := range es {
		u, ok := users[e.ref]
		if !ok {
			u = user
		}
		if v.can(acl.ViewExecutors, u) {
			out = append(out, e)
		}
	}
	return out
}

// eventFilter filters one operator stream's events as the viewer's state
// reads are filtered. It learns frameworks' and tasks' users from the
// snapshot and the events, since TASK_UPDATED names neither.
type eventFilter struct {
	v          *viewer
	frameworks map[string]string // framework ID → user
	taskUsers  map[taskRef]string
}

type taskRef struct{ framework, task string }

func newEventFilter(v *viewer, s *master.State) *eventFilter {
	f := &eventFilter{v: v, frameworks: map[string]string{}, taskUsers: map[taskRef]string{}}
	for _, list := range [][]master.FrameworkView{s.Frameworks, s.CompletedFrameworks} {
		for i := range list {
			fw := &list[i]
			user := fw.Info.GetUser()
			f.frameworks[fw.ID] = user
			for _, t := range fw.Tasks {
				if u := taskUser(t, user); u != user {
					f.taskUsers[taskRef{fw.ID, t.ID}] = u
				}
			}
		}
	}
	return f
}

// visibleFramework is whether the framework is known and may be seen.
func (f *eventFilter) visibleFramework(id string) (string, bool) {
	user, ok := f.frameworks[id]
	return user, ok && f.v.can(acl.ViewFrameworks, user)
}

// keep reports whether the event may be sent.
func (f *eventFilter) keep(e *masterpb.Event) bool {
	switch e.GetType() {
	case masterpb.Event_TASK_ADDED:
		t := e.GetTaskAdded().GetTask()
		fw := t.GetFrameworkId().GetValue()
		user, ok := f.visibleFramework(fw)
		taskUser := user
		if u := t.GetUser(); u != "" {
			taskUser = u
			f.taskUsers[taskRef{fw, t.GetTaskId().GetValue()}] = u
		}
		return ok && f.v.can(acl.ViewTasks, taskUser)
	case masterpb.Event_TASK_UPDATED:
		u := e.GetTaskUpdated()
		fw := u.GetFrameworkId().GetValue()
		user, ok := f.visibleFramework(fw)
		ref := taskRef{fw, u.GetStatus().GetTaskId().GetValue()}
		if tu, found := f.taskUsers[ref]; found {
			user = tu
			if terminal(u.GetState()) {
				delete(f.taskUsers, ref)
			}
		}
		return ok && f.v.can(acl.ViewTasks, user)
	case masterpb.Event_FRAMEWORK_ADDED, masterpb.Event_FRAMEWORK_UPDATED:
		fw := e.GetFrameworkAdded().GetFramework()
		if fw == nil {
			fw = e.GetFrameworkUpdated().GetFramework()
		}
		info := fw.GetFrameworkInfo()
		f.frameworks[info.GetId().GetValue()] = info.GetUser()
		return f.v.can(acl.ViewFrameworks, info.GetUser())
	case masterpb.Event_FRAMEWORK_REMOVED:
		info := e.GetFrameworkRemoved().GetFrameworkInfo()
		return f.v.can(acl.ViewFrameworks, info.GetUser())
	}
	return true
}

func terminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_KILLED,
		mesos.TaskState_TASK_ERROR, mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_DROPPED,
		mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_GONE_BY_OPERATOR:
		return true
	}
	return false
}
