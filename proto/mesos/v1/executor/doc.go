// Package executor holds the Go types of the Mesos v1 executor API
// (proto package mesos.v1.executor): Call and Event, generated from
// executor.proto.
//
// It is generated code only, not an executor SDK (see sdk/executor).
// Regenerate with proto/generate.sh.
package executor
