// Package sdktest is a test double for frameworks: an in-process fake
// master (an httptest server) that speaks the Mesos v1 scheduler API in
// protobuf and JSON, and a fake Clock.
//
// The fake is small and deliberately simple. It serves one framework at a
// time; it knows a fixed set of agents and offers each one's free resources
// whole, at most one outstanding offer per agent; it "runs" a launched task
// by sending TASK_RUNNING and then, at once, the terminal state chosen by
// Options.TaskResult (TASK_FINISHED by default), each with a uuid, and
// resends unacknowledged updates when the framework resubscribes. It checks
// what a real master checks on the boundary — Content-Type, Accept,
// Mesos-Stream-Id, that accepted offers are outstanding and that tasks fit
// in them — and records calls and acknowledgements for tests to inspect.
//
// It is not a master: no allocator, no roles' fair sharing, no timers (a
// refuse filter lasts until something changes: a task ends, Revive, or
// OfferAll), no heartbeats unless the test calls Heartbeat, no agents, no
// executors. Test the master itself with the master's own tests.
package sdktest
