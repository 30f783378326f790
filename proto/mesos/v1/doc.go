// Package mesos holds the Go types of the Mesos v1 messages (proto package
// mesos.v1), generated from mesos.proto with Mesos's names, field numbers,
// enum values and defaults so that they interoperate with Mesos clients.
//
// It is generated code only: behaviour (resource arithmetic, JSON, framing)
// lives in sibling packages. Regenerate with proto/generate.sh.
package mesos
