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
// goroutine runs before containerizer.Launch). Not yet supported, with the
// seams they will use: cgroups and Docker (other
// containerizer.Containerizer implementations), and checkpoint recovery (containerizer.Recoverer plus a store of the
// agent ID, tasks and status update streams). Tasks live as long as the
// agent process: when Run returns, they have been killed.
package agent
