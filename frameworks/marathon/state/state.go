// Package state holds the Marathon framework's observable state as plain
// data: tasks, deployments, launch-queue entries, groups and events, in the
// JSON shapes Marathon 1.x clients read. It is shared by the scheduler core
// (which produces it) and the REST API (which serves it); it has no logic
// beyond small helpers.
package state

import (
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/app"
)

// Task is one running (or starting) instance of an app, as served in
// /v2/tasks and embedded in /v2/apps/{id}. ID is in the legacy form
// "<app path with / replaced by _>.<uuid>".
type Task struct {
	ID                 string              `json:"id"`
	AppID              string              `json:"appId"`
	Host               string              `json:"host"`
	SlaveID            string              `json:"slaveId"`
	Ports              []int               `json:"ports"`
	ServicePorts       []int               `json:"servicePorts"`
	IPAddresses        []IPAddress         `json:"ipAddresses"`
	StagedAt           string              `json:"stagedAt,omitempty"`
	StartedAt          string              `json:"startedAt,omitempty"`
	Version            string              `json:"version"`
	State              string              `json:"state"` // Mesos task state name, e.g. TASK_RUNNING
	HealthCheckResults []HealthCheckResult `json:"healthCheckResults,omitempty"`
	LocalVolumes       []any               `json:"localVolumes"`
}

// IPAddress is one address of a task.
type IPAddress struct {
	IPAddress string `json:"ipAddress"`
	Protocol  string `json:"protocol"`
}

// HealthCheckResult is the last known health of a task for one check.
type HealthCheckResult struct {
	Alive               bool   `json:"alive"`
	ConsecutiveFailures int    `json:"consecutiveFailures"`
	FirstSuccess        string `json:"firstSuccess,omitempty"`
	LastFailure         string `json:"lastFailure,omitempty"`
	LastSuccess         string `json:"lastSuccess,omitempty"`
	LastFailureCause    string `json:"lastFailureCause,omitempty"`
	InstanceID          string `json:"instanceId"`
}

// TaskFailure is an app's last task failure (lastTaskFailure).
type TaskFailure struct {
	AppID     string `json:"appId"`
	Host      string `json:"host"`
	Message   string `json:"message"`
	State     string `json:"state"`
	TaskID    string `json:"taskId"`
	Timestamp string `json:"timestamp"`
	Version   string `json:"version"`
	SlaveID   string `json:"slaveId"`
}

// AppStatus is an app definition with its live counts, as GET /v2/apps
// serves it (tasks embedded only when asked for).
type AppStatus struct {
	App             *app.App
	TasksStaged     int
	TasksRunning    int
	TasksHealthy    int
	TasksUnhealthy  int
	Deployments     []string // IDs of deployments affecting the app
	Tasks           []Task
	LastTaskFailure *TaskFailure
}

// Action names of deployment steps, as Marathon names them.
const (
	StartApplication   = "StartApplication"
	ScaleApplication   = "ScaleApplication"
	RestartApplication = "RestartApplication"
	StopApplication    = "StopApplication"
)

// Action is one thing a deployment step does to one app.
type Action struct {
	Action string `json:"action"`
	App    string `json:"app"`
}

// Step is a set of actions that run together; steps run in order.
type Step struct {
	Actions []Action `json:"actions"`
}

// CurrentAction is an action of the running step with its progress and, when
// it cannot progress, the reason (a deployment never waits silently).
type CurrentAction struct {
	Action                string `json:"action"`
	App                   string `json:"app"`
	ReadinessCheckResults []any  `json:"readinessCheckResults"`
	// Agora extensions: what the action waits for.
	Waiting string `json:"waiting,omitempty"`
}

// Deployment is a plan in progress, as /v2/deployments serves it.
type Deployment struct {
	ID             string          `json:"id"`
	Version        string          `json:"version"`
	AffectedApps   []string        `json:"affectedApps"`
	AffectedPods   []string        `json:"affectedPods"`
	Steps          []Step          `json:"steps"`
	CurrentActions []CurrentAction `json:"currentActions"`
	CurrentStep    int             `json:"currentStep"`
	TotalSteps     int             `json:"totalSteps"`
}

// QueueEntry is an app waiting for offers, as /v2/queue serves it.
type QueueEntry struct {
	App   *app.App   `json:"app"`
	Count int        `json:"count"`
	Delay QueueDelay `json:"delay"`
	Since string     `json:"since"`
	// ProcessedOffersSummary says why offers were declined: per reason, how
	// many of the last offers it refused (Marathon's reject reasons:
	// InsufficientCpus, InsufficientMemory, InsufficientDisk,
	// InsufficientGpus, InsufficientPorts, UnfulfilledRole,
	// UnfulfilledConstraint, ...).
	ProcessedOffersSummary OffersSummary `json:"processedOffersSummary"`
	LastUnusedOffers       []UnusedOffer `json:"lastUnusedOffers,omitempty"`
}

// QueueDelay is the launch back-off of a queued app.
type QueueDelay struct {
	TimeLeftSeconds int  `json:"timeLeftSeconds"`
	Overdue         bool `json:"overdue"`
}

// OffersSummary aggregates offer processing for a queued app.
type OffersSummary struct {
	ProcessedOffersCount       int           `json:"processedOffersCount"`
	UnusedOffersCount          int           `json:"unusedOffersCount"`
	LastUnusedOfferAt          string        `json:"lastUnusedOfferAt,omitempty"`
	LastUsedOfferAt            string        `json:"lastUsedOfferAt,omitempty"`
	RejectSummaryLastOffers    []RejectCount `json:"rejectSummaryLastOffers"`
	RejectSummaryLaunchAttempt []RejectCount `json:"rejectSummaryLaunchAttempt"`
}

// RejectCount is how many of the considered offers one reason refused.
type RejectCount struct {
	Reason    string `json:"reason"`
	Declined  int    `json:"declined"`
	Processed int    `json:"processed"`
}

// UnusedOffer is a recently declined offer and the reasons.
type UnusedOffer struct {
	Offer     UnusedOfferInfo `json:"offer"`
	Reason    []string        `json:"reason"`
	Timestamp string          `json:"timestamp"`
}

// UnusedOfferInfo identifies a declined offer.
type UnusedOfferInfo struct {
	ID       string `json:"id"`
	AgentID  string `json:"agentId"`
	Hostname string `json:"hostname"`
}

// Group is an explicit group: a path with dependencies. Apps belong to the
// group that is their ID's parent path; groups that hold apps exist
// implicitly.
type Group struct {
	ID           string   `json:"id"`
	Dependencies []string `json:"dependencies"`
	Version      string   `json:"version,omitempty"`
}

// Change is one deployment request: apps to create or replace, apps to
// delete, apps to restart, explicit groups to create or replace and groups to
// delete (with all their apps). The core turns it into one Deployment.
type Change struct {
	Upsert       []*app.App
	Delete       []string
	Restart      []string
	Groups       []Group
	DeleteGroups []string
}

// Event is one event for /v2/events (SSE) and /v2/eventSubscriptions. Type
// is the Marathon eventType (status_update_event, deployment_info,
// deployment_success, deployment_failed, deployment_step_success,
// health_status_changed_event, api_post_event, app_terminated_event,
// instance_changed_event, group_change_success, failed_health_check_event,
// unhealthy_instance_kill_event, ...). Body is the event's JSON object
// including "eventType" and "timestamp".
type Event struct {
	Type string
	Body []byte
}

// Info is what /v2/info reports about this replica.
type Info struct {
	Name        string
	Version     string
	Leader      string // "host:port" of the leader, "" when none
	FrameworkID string
	Elected     bool
	HTTPPort    int
	ZK          string
	Master      string
	StartedAt   time.Time
}
