// Package core is the Marathon framework's scheduler shell: it subscribes to
// the master through sdk/scheduler, keeps the desired state (apps, versions,
// groups, deployments) in a store, launches and kills tasks to reach it, and
// serves the REST API's reads from immutable snapshots (it implements
// api.Backend).
//
// One goroutine, the loop, owns every piece of mutable state. API calls and
// SDK events are posted into it and wait for their answer; after each batch
// of requests the loop persists what changed, hands the calls it decided on
// (ACCEPT, KILL, REVIVE, ...) to an outbox goroutine, and publishes a fresh
// snapshot that reads use without locking. Decisions that can be made
// without I/O come from the pure packages app, placement and deploy.
//
// With an elector configured, only the leader subscribes; a replica that
// gains leadership loads the state from the store, resumes its deployments
// and reconciles with the master, killing nothing that is running and
// wanted. It is not the REST layer (package api) and not a planner.
package core
