// Package benchharness measures a master end to end: it registers
// simulated agents (agent/sim), runs frameworks built on sdk/scheduler
// that launch tasks on them, and reports launch throughput, launch-to-
// RUNNING latency, the master's allocation cycle time and its CPU and heap
// per agent and per task, read from the master's own metrics endpoints.
//
// It is the engine of `agora bench` and of the end-to-end test of the
// simulator. It is not a load generator for a production cluster: the
// frameworks launch on every offer they get and tear down at the end.
package benchharness
