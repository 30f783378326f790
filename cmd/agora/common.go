package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/agoraproject/agora/master"
)

func runVersion(ctx context.Context, args []string) error {
	fmt.Println("agora", master.Version)
	return nil
}

// newLogger builds the process logger; level is a Mesos-style name
// (INFO, WARNING, ERROR) or a zap one.
func newLogger(level string) (*zap.Logger, zap.AtomicLevel, error) {
	lvl := zap.NewAtomicLevel()
	switch strings.ToUpper(level) {
	case "WARNING":
		level = "warn"
	}
	if err := lvl.UnmarshalText([]byte(strings.ToLower(level))); err != nil {
		return nil, lvl, fmt.Errorf("--logging_level: %v", err)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = lvl
	cfg.Encoding = "console"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	cfg.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
	cfg.Sampling = nil
	log, err := cfg.Build()
	return log, lvl, err
}

// flagValues records every flag's value for /master/state "flags".
func flagValues(fs *flag.FlagSet) map[string]string {
	out := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { out[f.Name] = f.Value.String() })
	return out
}

// serveOptions are what a server adds to plain HTTP: TLS (nil: plain)
// and the bound on reading a request's headers.
type serveOptions struct {
	tls *tls.Config
	// headerTimeout bounds the TLS handshake and the request headers
	// (slowloris); 0 means defaultHeaderTimeout.
	headerTimeout time.Duration
}

// defaultHeaderTimeout is how long a client may take to send a request's
// headers (and, with TLS, to finish the handshake) before it is cut off.
const defaultHeaderTimeout = 10 * time.Second

// serve runs an HTTP server until ctx ends. Streaming responses rule out a
// write timeout; slow handshakes, headers and idle connections are still
// bounded, so a client trickling bytes cannot hold a connection open.
func serve(ctx context.Context, ln net.Listener, h http.Handler, log *zap.Logger, opts serveOptions) error {
	ht := opts.headerTimeout
	if ht <= 0 {
		ht = defaultHeaderTimeout
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ht,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
		TLSConfig:         opts.tls,
	}
	errc := make(chan error, 1)
	go func() {
		if opts.tls != nil {
			errc <- srv.ServeTLS(ln, "", "") // certificates come from TLSConfig
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		_ = srv.Close()
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// runServing runs a component's loop and its HTTP server on ln until ctx
// ends or either fails, then stops both.
func runServing(ctx context.Context, ln net.Listener, run func(context.Context) error, h http.Handler, log *zap.Logger, ready func()) error {
	return runServingWith(ctx, ln, serveOptions{}, run, h, log, ready)
}

// runServingWith is runServing with TLS or a header timeout.
func runServingWith(ctx context.Context, ln net.Listener, opts serveOptions, run func(context.Context) error, h http.Handler, log *zap.Logger, ready func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- run(ctx) }()
	go func() { errc <- serve(ctx, ln, h, log, opts) }()
	if ready != nil {
		ready()
	}
	err := <-errc
	cancel()
	<-errc
	return err
}

// advertisedIP picks the address others should use to reach a server bound
// to ip: ip itself unless it is a wildcard, else the first non-loopback
// IPv4 address of this host.
func advertisedIP(ip string) string {
	if ip != "" && ip != "0.0.0.0" && ip != "::" {
		return ip
	}
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				return n.IP.String()
			}
		}
	}
	return "127.0.0.1"
}

func hostname(given string) string {
	if given != "" {
		return given
	}
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return h
}
