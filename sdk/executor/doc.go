// Package executor is the Go SDK for custom executors that speak the Mesos
// v1 executor HTTP API (POST <agent>/api/v1/executor) to an Agora agent, or
// to any Mesos 1.x agent.
//
// An agent starts an executor with its identity and settings in the
// environment (MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, MESOS_AGENT_ENDPOINT,
// durations in Mesos's format such as "5secs"); FromEnv reads them. A
// Client subscribes, hands every event to a Handler one at a time on the
// goroutine that called Run, and offers typed calls, Update and Message,
// that may be made from any goroutine.
//
// Reliability follows the Mesos executor protocol: an update is kept as
// unacknowledged until the agent's ACKNOWLEDGED event names its uuid, and a
// task as unacknowledged from its LAUNCH until one of its updates is
// acknowledged. When the subscription breaks, a framework that checkpoints
// (MESOS_CHECKPOINT=1) gets its executor resubscribed, with backoff up to
// MESOS_SUBSCRIPTION_BACKOFF_MAX and for at most MESOS_RECOVERY_TIMEOUT,
// and the SUBSCRIBE call carries everything unacknowledged so nothing is
// lost; without checkpointing, Run returns ErrDisconnected and the executor
// should exit, as Mesos asks.
//
// What it is not: it does not run tasks (the Handler does, however it
// likes), and it does not decide when to exit after SHUTDOWN: the Handler
// kills its tasks, reports them and calls Client.Stop.
package executor
