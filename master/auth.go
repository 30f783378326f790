package master

import "context"

// FrameworkOwner is what authorization needs to know of a framework: the
// principal it registered with and the user its tasks run as by default.
type FrameworkOwner struct {
	Principal string
	User      string
}

// FrameworkOwner looks up a framework, registered or completed; found is
// false for one the master does not know. The HTTP layer uses it to check
// that a call comes from the framework's own principal, to pick the user
// of a launch for run_tasks, and to name the framework's principal for
// teardown_frameworks.
func (m *Master) FrameworkOwner(ctx context.Context, frameworkID string) (owner FrameworkOwner, found bool, err error) {
	err = m.do(ctx, func() {
		f := m.frameworks[frameworkID]
		if f == nil || f.info == nil {
			return
		}
		owner = FrameworkOwner{Principal: f.info.GetPrincipal(), User: f.info.GetUser()}
		found = true
	})
	return owner, found, err
}
