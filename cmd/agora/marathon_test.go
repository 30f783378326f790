package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
)

func parseMarathonFlags(t *testing.T, args ...string) (*marathonFlags, error) {
	t.Helper()
	fs := flag.NewFlagSet("marathon", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := bindMarathonFlags(fs)
	return f, fs.Parse(args)
}

// TestMarathonFlags: Marathon's flags reach the API and election configs;
// bare numbers are read in Marathon's units.
func TestMarathonFlags(t *testing.T) {
	f, err := parseMarathonFlags(t)
	if err != nil {
		t.Fatal(err)
	}
	if f.api.AccessControlAllowOrigin != nil || f.api.HTTPEndpoints != nil || f.zkTimeout != 4*time.Second {
		t.Fatalf("defaults: %+v, zk %v", f.api, f.zkTimeout)
	}
	f, err = parseMarathonFlags(t,
		"--http_endpoints", "http://a:1/e, http://b:2/e",
		"--access_control_allow_origin", "http://127.0.0.1:5050,http://localhost:5050",
		"--zk_session_timeout", "2000",
		"--task_launch_timeout", "300000",
		"--failover_timeout", "604800",
		"--reconciliation_interval", "30secs")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.api.HTTPEndpoints, []string{"http://a:1/e", "http://b:2/e"}) {
		t.Errorf("http_endpoints %q", f.api.HTTPEndpoints)
	}
	if !slices.Equal(f.api.AccessControlAllowOrigin, []string{"http://127.0.0.1:5050", "http://localhost:5050"}) {
		t.Errorf("access_control_allow_origin %q", f.api.AccessControlAllowOrigin)
	}
	if f.zkTimeout != 2*time.Second || f.cfg.TaskLaunchTimeout != 5*time.Minute ||
		f.cfg.FailoverTimeout != 7*24*time.Hour || f.cfg.ReconcileInterval != 30*time.Second {
		t.Errorf("durations: zk %v, launch %v, failover %v, reconcile %v",
			f.zkTimeout, f.cfg.TaskLaunchTimeout, f.cfg.FailoverTimeout, f.cfg.ReconcileInterval)
	}
	if err := f.api.Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{{"--zk_session_timeout", "-1"}, {"--task_launch_timeout", "soon"}} {
		if _, err := parseMarathonFlags(t, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestDevMarathonCORS: the Marathon of `agora dev` lets the master's web
// UI (its own origin, as 127.0.0.1 or localhost) read apps and
// deployments, and nobody else.
func TestDevMarathonCORS(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	running := 0
	// No master listens there: the API serves regardless.
	master := "127.0.0.1:1"
	addr, err := startDevMarathon(ctx, 0, master, t.TempDir(), zap.NewNop(), errc, &running)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("marathon: %v", err)
		}
	}()
	get := func(path, origin string) string {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	for _, origin := range []string{"http://127.0.0.1:1", "http://localhost:1"} {
		for _, path := range []string{"/v2/apps", "/v2/deployments"} {
			if got := get(path, origin); got != origin {
				t.Errorf("GET %s from %s: Access-Control-Allow-Origin %q", path, origin, got)
			}
		}
	}
	if got := get("/v2/apps", "http://elsewhere:1"); got != "" {
		t.Errorf("foreign origin allowed: %q", got)
	}
}
