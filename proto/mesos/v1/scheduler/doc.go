// Package scheduler holds the Go types of the Mesos v1 scheduler API
// (proto package mesos.v1.scheduler): Call, Event and Response, generated
// from scheduler.proto.
//
// It is generated code only, not a scheduler SDK (see sdk/scheduler).
// Regenerate with proto/generate.sh.
package scheduler
