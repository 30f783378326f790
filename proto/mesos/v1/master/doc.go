// Package master holds the Go types of the Mesos v1 master operator API
// (proto package mesos.v1.master): Call, Response and the SUBSCRIBE
// stream's Event, generated from master.proto.
//
// It is generated code only, not the master (see master/). Regenerate with
// proto/generate.sh.
package master
