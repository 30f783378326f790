// Package job is the Chronos job model: the job definition as Chronos's
// REST API writes it in JSON, its decoding with Chronos's defaults, its
// validation, and the task IDs Chronos gives a job's runs.
//
// It is pure data: it does not schedule, persist or run anything, and it
// does not parse ISO 8601 schedules itself (package schedule does).
package job

// Job is one Chronos job. The JSON field names are Chronos's; a job has
// either a Schedule (POST /scheduler/iso8601) or Parents (POST
// /scheduler/dependency), never both.
//
// The counters (SuccessCount ... LastError) are written by the scheduler,
// never by a client: a POSTed job's counters are ignored in favour of the
// ones the scheduler keeps.
type Job struct {
	Name          string   `json:"name"`
	Command       string   `json:"command"`
	Arguments     []string `json:"arguments"`
	Shell         bool     `json:"shell"`
	Epsilon       string   `json:"epsilon"`
	Executor      string   `json:"executor"`
	ExecutorFlags string   `json:"executorFlags"`
	Retries       int      `json:"retries"`
	Owner         string   `json:"owner"`
	OwnerName     string   `json:"ownerName"`
	Description   string   `json:"description"`
	Async         bool     `json:"async"`

	SuccessCount           int64  `json:"successCount"`
	ErrorCount             int64  `json:"errorCount"`
	LastSuccess            string `json:"lastSuccess"`
	LastError              string `json:"lastError"`
	ErrorsSinceLastSuccess int64  `json:"errorsSinceLastSuccess"`

	Cpus float64 `json:"cpus"`
	Mem  float64 `json:"mem"`
	Disk float64 `json:"disk"`

	Disabled              bool         `json:"disabled"`
	SoftError             bool         `json:"softError"`
	DataProcessingJobType bool         `json:"dataProcessingJobType"`
	Fetch                 []Fetch      `json:"fetch"`
	URIs                  []string     `json:"uris"`
	EnvironmentVariables  []EnvVar     `json:"environmentVariables"`
	HighPriority          bool         `json:"highPriority"`
	RunAsUser             string       `json:"runAsUser"`
	Concurrent            bool         `json:"concurrent"`
	Container             *Container   `json:"container,omitempty"`
	Constraints           []Constraint `json:"constraints"`

	Schedule         string   `json:"schedule,omitempty"`
	ScheduleTimeZone string   `json:"scheduleTimeZone,omitempty"`
	Parents          []string `json:"parents,omitempty"`
}

// Fetch is one URI the agent fetches into the sandbox before the run.
type Fetch struct {
	URI        string `json:"uri"`
	Executable bool   `json:"executable"`
	Extract    bool   `json:"extract"`
	Cache      bool   `json:"cache"`
}

// EnvVar is one environment variable of the run.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Container runs the job's command in a container image.
type Container struct {
	Type           string   `json:"type"` // DOCKER (default) or MESOS
	Image          string   `json:"image"`
	Network        string   `json:"network,omitempty"` // HOST (default), BRIDGE, NONE, USER
	Volumes        []Volume `json:"volumes"`
	ForcePullImage bool     `json:"forcePullImage"`
}

// Volume mounts a host path into the container.
type Volume struct {
	ContainerPath string `json:"containerPath"`
	HostPath      string `json:"hostPath,omitempty"`
	Mode          string `json:"mode,omitempty"` // RW or RO
}

// Constraint is Chronos's [attribute, operator, value] triple; the
// attribute "hostname" matches the agent's hostname.
type Constraint struct {
	Attribute, Operator, Value string
}

// Scheduled reports whether j runs on a schedule (else on its parents).
func (j *Job) Scheduled() bool { return len(j.Parents) == 0 && j.Schedule != "" }

// Clone returns a deep copy of j, so a caller may keep it while others
// change theirs.
func (j Job) Clone() Job {
	c := j
	c.Arguments = append([]string(nil), j.Arguments...)
	c.Fetch = append([]Fetch(nil), j.Fetch...)
	c.URIs = append([]string(nil), j.URIs...)
	c.EnvironmentVariables = append([]EnvVar(nil), j.EnvironmentVariables...)
	c.Constraints = append([]Constraint(nil), j.Constraints...)
	c.Parents = append([]string(nil), j.Parents...)
	if j.Container != nil {
		ct := *j.Container
		ct.Volumes = append([]Volume(nil), j.Container.Volumes...)
		c.Container = &ct
	}
	return c
}

// Normalized returns j with empty lists instead of nil ones, so that its
// JSON carries [] as Chronos's does, never null.
func (j Job) Normalized() Job {
	if j.Arguments == nil {
		j.Arguments = []string{}
	}
	if j.Fetch == nil {
		j.Fetch = []Fetch{}
	}
	if j.URIs == nil {
		j.URIs = []string{}
	}
	if j.EnvironmentVariables == nil {
		j.EnvironmentVariables = []EnvVar{}
	}
	if j.Constraints == nil {
		j.Constraints = []Constraint{}
	}
	if j.Container != nil && j.Container.Volumes == nil {
		c := *j.Container
		c.Volumes = []Volume{}
		j.Container = &c
	}
	return j
}
