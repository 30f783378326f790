// Package scheduler is the Go SDK for custom schedulers that speak the Mesos
// v1 scheduler HTTP API (POST <master>/api/v1/scheduler) to an Agora master,
// or to any Mesos 1.x master.
//
// A Client subscribes, keeps the subscription alive (heartbeat watchdog,
// reconnection with exponential backoff, 307 leader redirects, 503 while no
// leader is elected) and hands every event to a Handler, one at a time, on
// the goroutine that called Run. Calls such as Launch, Decline and Kill may
// be made from the handler or from any other goroutine; each goes on its own
// HTTP request, as the API requires.
//
// Status updates that carry a uuid are acknowledged automatically once the
// handler has returned nil for them, so a handler that fails leaves the
// update unacknowledged and the agent will deliver it again. The
// acknowledgements go out in the background, up to Config.AckConcurrency at
// once, so the handler moves on to the next event without waiting a master
// round trip; Run waits for them before it returns. Set
// Config.ManualAcknowledge to acknowledge yourself.
//
// What it is not: it does not choose what to run where (see package
// sdk/offers for help matching offers), does not persist the framework ID
// across process restarts (store FrameworkID() yourself and put it in
// FrameworkInfo.id), and does not detect masters through ZooKeeper.
package scheduler
