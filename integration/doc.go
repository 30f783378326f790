// Package integration holds Agora's process-level tests: they start the real
// `agora master` and `agora agent` binaries (and examples/batch) as processes
// on loopback, each with a fresh work dir and free ports, and check what a
// user would check — HTTP status codes, the event stream, /master/state,
// /metrics/snapshot, sandbox files and the task processes themselves.
//
// The binary is $AGORA_BIN when set (the Makefile and scripts/test.sh set
// it); otherwise TestMain builds it, and examples/batch, into a temporary
// directory. The tests use short timers (--agent_ping_timeout=1secs,
// --max_agent_ping_timeouts=2, --allocation_interval=100ms) and poll
// endpoints with deadlines instead of sleeping.
//
// It is not a unit-test package: the logic under test lives in master/,
// agent/ and sdk/, and is tested there.
package integration
