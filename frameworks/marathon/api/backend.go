// Package api serves Marathon's /v2 REST API over the framework's core: thin
// gorilla/mux handlers that decode, call the Backend, encode, and map errors
// to HTTP statuses once.
package api

import (
	"context"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// Backend is what the handlers need from the Marathon core. Reads return
// snapshots the caller may keep; writes return the deployment they started.
// Errors are the types of package state (NotFoundError, LockedError,
// ConflictError, InvalidError, NotLeaderError); anything else is a 500.
type Backend interface {
	// Apps returns every app, sorted by ID, with counts; tasks are filled
	// only when withTasks is set.
	Apps(withTasks bool) []state.AppStatus
	// App returns one app with counts and tasks.
	App(id string) (state.AppStatus, error)
	// AppVersions lists the stored versions of an app, newest first.
	AppVersions(id string) ([]string, error)
	// AppVersion returns one stored version.
	AppVersion(id, version string) (*app.App, error)

	// Deploy starts one deployment for a change. Unless force is set, a
	// change touching apps of a running deployment fails with LockedError;
	// with force those deployments are cancelled without rollback first.
	Deploy(ctx context.Context, ch state.Change, force bool) (state.Deployment, error)

	// Tasks returns every task of every app.
	Tasks() []state.Task
	// KillTasks kills the given tasks; they are replaced unless scale is
	// set, in which case the apps' instance counts drop by the number killed
	// (one deployment, returned). With wipe the instances are expunged from
	// state at once instead of when the kill is confirmed. Unknown IDs are
	// NotFoundError.
	KillTasks(ctx context.Context, taskIDs []string, scale, wipe, force bool) ([]state.Task, *state.Deployment, error)

	// Deployments lists running deployments.
	Deployments() []state.Deployment
	// CancelDeployment stops a deployment. Without force it is rolled back
	// (a new deployment to the previous state, returned); with force it
	// just stops where it is (nil returned).
	CancelDeployment(ctx context.Context, id string, force bool) (*state.Deployment, error)

	// Queue lists apps waiting for offers, with why offers were refused.
	Queue() []state.QueueEntry
	// ResetDelay clears an app's launch back-off.
	ResetDelay(appID string) error

	// Groups lists explicit groups.
	Groups() []state.Group

	// Subscribe streams events until cancel is called; a subscriber that
	// falls behind buffer events is dropped (its channel closed).
	Subscribe(buffer int) (events <-chan state.Event, cancel func())
	// Publish emits an event from the API layer (api_post_event,
	// subscribe_event, event_stream_attached, ...).
	Publish(e state.Event)

	// Info describes this replica; Abdicate gives up leadership.
	Info() state.Info
	Abdicate() error
}
