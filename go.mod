module github.com/agoraproject/agora

go 1.26

require (
	github.com/gorilla/mux v1.8.1
	go.uber.org/zap v1.28.0
	google.golang.org/protobuf v1.36.12
)

require go.uber.org/multierr v1.10.0 // indirect
