//go:build tools

// Package tools pins the versions of build-time tools (protoc-gen-go) in go.mod.
package tools

import (
	_ "github.com/gorilla/mux"
	_ "go.uber.org/zap"
	_ "google.golang.org/protobuf/cmd/protoc-gen-go"
	_ "google.golang.org/protobuf/proto"
)
