package benchharness

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/master/api"
)

// StartMaster runs a master and its HTTP API in this process on a free
// port of 127.0.0.1 until stop is called. cfg's IP and Port are set here.
func StartMaster(cfg master.Config, log *zap.Logger) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	cfg.IP, cfg.Port = "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	cfg.Logger = log
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return "", nil, err
	}
	m, err := master.New(cfg)
	if err != nil {
		ln.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: api.New(m, log), ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = m.Run(ctx); done <- struct{}{} }()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("master HTTP server failed", zap.Error(err))
		}
		done <- struct{}{}
	}()
	stop = func() {
		cancel()
		_ = srv.Close() // streams never end on their own; no graceful wait
		<-done
		<-done
	}
	return ln.Addr().String(), stop, nil
}
