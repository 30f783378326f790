// Package agent is the Agora agent's composition root: it registers with
// the master over the agent protocol (docs/architecture.md), runs the tasks
// the master sends through a containerizer, health-checks them
// (agent/health), reports their status updates reliably, and serves the
// agent's own read endpoints (/state, /health, /version) and the
// sandboxes' /files (agent/files). It runs frameworks' custom executors
// and serves them the executor API (/api/v1/executor, whose HTTP adapter
// is agent/executorapi); see executors.go.
//
// One goroutine, the loop started by Run, owns all mutable state: the
// subscription, frameworks, executors and tasks. Goroutines that block
// (the event stream reader, container launches and waits, outgoing calls)
// only post messages to it. HTTP handlers read an immutable snapshot the
// loop publishes, so they never wait on it.
//
// It is not a flag parser (cmd/agora builds the Config), a containerizer
// (agent/containerizer), the status update retry logic
// (agent/statusupdate), or the fetcher (agent/fetcher, which the launch
// goroutine runs before containerizer.Launch). It checkpoints the agent
// ID, tasks and status update streams under <work_dir>/meta
// (checkpoint.go) and recovers them on start through
// containerizer.Recoverer (recover.go), so that tasks of checkpointing
// frameworks outlive a crash of the agent process. When Run returns
// because its context ended, tasks have been killed, unless
// Config.DetachOnStop left those of checkpointing frameworks running.
package agent
