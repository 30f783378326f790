// Package agent holds the Go types of the Mesos v1 agent operator API
// (proto package mesos.v1.agent): Call and Response, generated from
// agent.proto.
//
// It is generated code only, not the agent (see agent/). Regenerate with
// proto/generate.sh.
package agent
