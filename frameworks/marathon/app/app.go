// Package app is the Marathon application definition: its JSON form as
// Marathon 1.x clients send and read it, defaults, validation with the failing
// JSON path, partial updates and versions. It is pure data: no I/O, no clock.
package app

// App is a Marathon application definition. JSON names and shapes follow
// Marathon 1.x (/v2/apps); fields clients may send as null decode to their
// zero value.
type App struct {
	ID        string   `json:"id"`
	Cmd       *string  `json:"cmd,omitempty"`
	Args      []string `json:"args,omitempty"`
	User      string   `json:"user,omitempty"`
	Env       Env      `json:"env"`
	Instances int      `json:"instances"`
	CPUs      float64  `json:"cpus"`
	Mem       float64  `json:"mem"`
	Disk      float64  `json:"disk"`
	GPUs      int      `json:"gpus"`
	Executor  string   `json:"executor"`

	Constraints [][]string `json:"constraints"`
	URIs        []string   `json:"uris,omitempty"` // deprecated form of Fetch
	Fetch       []Fetch    `json:"fetch"`
	StoreURLs   []string   `json:"storeUrls,omitempty"`

	BackoffSeconds        float64 `json:"backoffSeconds"`
	BackoffFactor         float64 `json:"backoffFactor"`
	MaxLaunchDelaySeconds float64 `json:"maxLaunchDelaySeconds"`

	Container       *Container        `json:"container,omitempty"`
	HealthChecks    []HealthCheck     `json:"healthChecks"`
	ReadinessChecks []ReadinessCheck  `json:"readinessChecks"`
	Dependencies    []string          `json:"dependencies"`
	UpgradeStrategy *UpgradeStrategy  `json:"upgradeStrategy,omitempty"`
	Labels          map[string]string `json:"labels"`

	AcceptedResourceRoles []string `json:"acceptedResourceRoles,omitempty"`
	Role                  string   `json:"role,omitempty"`

	PortDefinitions []PortDefinition `json:"portDefinitions"`
	Ports           []int            `json:"ports,omitempty"` // deprecated form of PortDefinitions
	RequirePorts    bool             `json:"requirePorts"`
	Networks        []Network        `json:"networks,omitempty"`

	TaskKillGracePeriodSeconds *float64             `json:"taskKillGracePeriodSeconds,omitempty"`
	KillSelection              string               `json:"killSelection"`
	UnreachableStrategy        *UnreachableStrategy `json:"unreachableStrategy,omitempty"`

	Version     string       `json:"version,omitempty"`
	VersionInfo *VersionInfo `json:"versionInfo,omitempty"`
}

// Env is the app's environment. Marathon also accepts {"secret": "name"}
// values; Agora has no secret store, so those are a validation error.
type Env map[string]string

// Fetch is one URI the agent's fetcher downloads into the sandbox.
type Fetch struct {
	URI        string `json:"uri"`
	Executable bool   `json:"executable"`
	Extract    bool   `json:"extract"`
	Cache      bool   `json:"cache"`
	DestPath   string `json:"destPath,omitempty"`
}

// Container is the app's container: "DOCKER" or "MESOS" (the native
// containerizer, optionally with a Docker image).
type Container struct {
	Type         string        `json:"type"`
	Docker       *Docker       `json:"docker,omitempty"`
	Volumes      []Volume      `json:"volumes"`
	PortMappings []PortMapping `json:"portMappings,omitempty"`
}

// Docker holds the Docker settings. Network and PortMappings here are the
// deprecated pre-1.5 forms; they are still accepted and moved to the app's
// networks and the container's port mappings by Normalize.
type Docker struct {
	Image          string        `json:"image"`
	Network        string        `json:"network,omitempty"` // deprecated: HOST, BRIDGE, USER, NONE
	PortMappings   []PortMapping `json:"portMappings,omitempty"`
	Privileged     bool          `json:"privileged"`
	Parameters     []DockerParam `json:"parameters"`
	ForcePullImage bool          `json:"forcePullImage"`
}

// DockerParam is one extra `docker run` option.
type DockerParam struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Volume is a host or persistent volume mounted into the container.
type Volume struct {
	ContainerPath string `json:"containerPath"`
	HostPath      string `json:"hostPath,omitempty"`
	Mode          string `json:"mode"` // RO or RW
}

// PortMapping maps a container port to a host port (0 = any offered port).
type PortMapping struct {
	ContainerPort int               `json:"containerPort"`
	HostPort      *int              `json:"hostPort,omitempty"`
	ServicePort   int               `json:"servicePort"`
	Protocol      string            `json:"protocol"`
	Name          string            `json:"name,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
}

// PortDefinition asks for one host port (0 = any offered port).
type PortDefinition struct {
	Port     int               `json:"port"`
	Protocol string            `json:"protocol"`
	Name     string            `json:"name,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
}

// Network is one network the app joins: mode "host", "container/bridge" or
// "container".
type Network struct {
	Mode string `json:"mode"`
	Name string `json:"name,omitempty"`
}

// HealthCheck is a Marathon health check. Protocols: MESOS_HTTP, MESOS_HTTPS,
// MESOS_TCP, COMMAND, and the legacy HTTP, HTTPS and TCP (run by the agent
// like their MESOS_ counterparts).
type HealthCheck struct {
	Protocol               string        `json:"protocol"`
	Path                   string        `json:"path,omitempty"`
	PortIndex              *int          `json:"portIndex,omitempty"`
	Port                   *int          `json:"port,omitempty"`
	Command                *CommandCheck `json:"command,omitempty"`
	GracePeriodSeconds     int           `json:"gracePeriodSeconds"`
	IntervalSeconds        int           `json:"intervalSeconds"`
	TimeoutSeconds         int           `json:"timeoutSeconds"`
	MaxConsecutiveFailures int           `json:"maxConsecutiveFailures"`
	DelaySeconds           int           `json:"delaySeconds"`
	IgnoreHTTP1xx          bool          `json:"ignoreHttp1xx"`
}

// CommandCheck is the command of a COMMAND health check.
type CommandCheck struct {
	Value string `json:"value"`
}

// ReadinessCheck gates a deployment step on an HTTP endpoint of the task.
type ReadinessCheck struct {
	Name                    string `json:"name"`
	Protocol                string `json:"protocol"`
	Path                    string `json:"path"`
	PortName                string `json:"portName"`
	IntervalSeconds         int    `json:"intervalSeconds"`
	TimeoutSeconds          int    `json:"timeoutSeconds"`
	HTTPStatusCodesForReady []int  `json:"httpStatusCodesForReady"`
	PreserveLastResponse    bool   `json:"preserveLastResponse"`
}

// UpgradeStrategy bounds a rolling restart: at least
// MinimumHealthCapacity×instances healthy, at most
// (1+MaximumOverCapacity)×instances running.
type UpgradeStrategy struct {
	MinimumHealthCapacity float64 `json:"minimumHealthCapacity"`
	MaximumOverCapacity   float64 `json:"maximumOverCapacity"`
}

// UnreachableStrategy says how long an unreachable instance is kept before a
// replacement is launched (InactiveAfterSeconds) and before it is forgotten
// (ExpungeAfterSeconds). Disabled (the JSON string "disabled") never replaces.
type UnreachableStrategy struct {
	Disabled             bool
	InactiveAfterSeconds int
	ExpungeAfterSeconds  int
}

// VersionInfo records when the app was last scaled and last changed in
// configuration.
type VersionInfo struct {
	LastScalingAt      string `json:"lastScalingAt"`
	LastConfigChangeAt string `json:"lastConfigChangeAt"`
}

// Kill selections.
const (
	YoungestFirst = "YOUNGEST_FIRST"
	OldestFirst   = "OLDEST_FIRST"
)
