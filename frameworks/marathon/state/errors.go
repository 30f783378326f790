package state

import (
	"fmt"

	"github.com/agoraproject/agora/frameworks/marathon/app"
)

// NotFoundError: an app, task, group, version or deployment is unknown
// (HTTP 404).
type NotFoundError struct {
	Kind string // "App", "Task", "Group", "Deployment", "Version"
	ID   string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s '%s' does not exist", e.Kind, e.ID)
}

// LockedError: the change touches apps that a running deployment holds
// (HTTP 409 with the deployment IDs); retry with force to cancel them.
type LockedError struct {
	DeploymentIDs []string
}

func (e *LockedError) Error() string {
	return "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."
}

// ConflictError: the request contradicts existing state, e.g. POST of an app
// that already exists (HTTP 409).
type ConflictError struct {
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

// Violation is one failed validation rule at a JSON path ("/cpus",
// "/container/docker/image", "/dependencies(0)"). It is defined in package
// app (whose Validate produces it; app cannot import state) and aliased here.
type Violation = app.Violation

// InvalidError: the request is well-formed JSON but violates the rules
// (HTTP 422 with the failing paths).
type InvalidError struct {
	Violations []Violation
}

func (e *InvalidError) Error() string {
	if len(e.Violations) == 0 {
		return "Object is not valid"
	}
	v := e.Violations[0]
	return fmt.Sprintf("Object is not valid: %s: %v", v.Path, v.Errors)
}

// NotLeaderError: this replica does not lead and no leader is known
// (HTTP 503).
type NotLeaderError struct{}

func (*NotLeaderError) Error() string { return "no leader is known at the moment; retry shortly" }
