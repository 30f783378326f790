// Package sim runs many simulated agents in one process. Each one is a full
// participant of Agora's agent protocol (proto/agora/agentpb): it
// subscribes on its own event stream, answers PINGs, resubscribes with
// backoff when the stream is lost, and sends status updates that are
// retried until the master relays the framework's acknowledgement. Tasks
// run in a simulated containerizer that reports TASK_STARTING and
// TASK_RUNNING after a launch delay and TASK_FINISHED or TASK_FAILED after
// a task duration, failing at a configured rate.
//
// It exists to load a master with thousands of agents on one machine
// (`agora sim`, `agora bench`). It is not an agent: nothing is executed,
// no sandbox, executor API, checkpoint or operator endpoint exists.
//
// Cost per agent: one goroutine reading its event stream (plus the HTTP
// transport's own for that connection). Timers of all agents share one
// goroutine and calls to the master go through a shared pool of senders
// over one http.Transport. The simulated containerizer and the status
// update manager (agent/statusupdate) are pure cores driven with the
// current time; randomness comes from one seeded source per agent, so a
// run is repeatable with the same seed and the same master behaviour.
package sim
