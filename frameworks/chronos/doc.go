// Package chronos is the imperative shell of Agora's Chronos-compatible
// framework: it owns the runner's state in one goroutine, drives it from
// the SDK's events (offers, status updates) and a timer, persists every
// change to a store before acting on it, and serves the REST API through
// package api.
//
// It talks to the master only through sdk/scheduler and places runs with
// sdk/offers, like any framework built on the SDK. What to run when is
// decided by package runner (pure); this package turns its decisions into
// calls and persisted records.
package chronos
