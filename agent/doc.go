// Package agent is the Agora agent's composition root: it registers with
// the master over the agent protocol (docs/architecture.md), runs the tasks
// the master sends through a containerizer, reports their status updates
// reliably, and serves the agent's own read endpoints (/state, /health,
// /version).
//
// One goroutine, the loop started by Run, owns all mutable state: the
// subscription, frameworks, executors and tasks. Goroutines that block
// (the event stream reader, container launches and waits, outgoing calls)
// only post messages to it. HTTP handlers read an immutable snapshot the
// loop publishes, so they never wait on it.
//
// It is not a flag parser (cmd/agora builds the Config), a containerizer
// (agent/containerizer), or the status update retry logic
// (agent/statusupdate). Not yet supported, with the seams they will use:
// custom executors and the executor API (RunTask with TaskInfo.executor is
// refused), URI fetching (a fetcher run before containerizer.Launch),
// cgroups and Docker (other containerizer.Containerizer implementations),
// and checkpoint recovery (containerizer.Recoverer plus a store of the
// agent ID, tasks and status update streams). Tasks live as long as the
// agent process: when Run returns, they have been killed.
package agent
