package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/user"
	"path"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/marathon/api"
	"github.com/agoraproject/agora/frameworks/marathon/core"
	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/internal/election"
	"github.com/agoraproject/agora/internal/leaderproxy"
	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/internal/telemetry"
	"github.com/agoraproject/agora/internal/zkurl"
)

// marathonFlags are `agora marathon`'s flags, named as Marathon's.
type marathonFlags struct {
	cfg       core.Config
	api       api.Config
	ip        string
	workDir   string
	logLevel  string
	port      int
	zkTimeout time.Duration
	sec       *frameworkSecurityFlags // security_framework.go
	tls       *frameworkTLSFlags      // frameworktls.go
}

func bindMarathonFlags(fs *flag.FlagSet) *marathonFlags {
	f := &marathonFlags{cfg: core.Config{
		FailoverTimeout:   core.DefaultFailoverTimeout,
		TaskLaunchTimeout: core.DefaultTaskLaunchTimeout,
		ReconcileInterval: core.DefaultReconcileInterval,
		MaxVersions:       core.DefaultMaxVersions,
	}, zkTimeout: election.DefaultSessionTimeout}
	c := &f.cfg
	fs.StringVar(&c.Master, "master", "127.0.0.1:5050", "the master: host:port, http://host:port, or a comma-separated list")
	fs.StringVar(&c.ZK, "zk", "", "ZooKeeper URL zk://host:port[,host:port]/path for state and leader election (default: files under --work_dir, no election)")
	fs.Var(marathonDuration{&f.zkTimeout, time.Millisecond}, "zk_session_timeout", "ZooKeeper session timeout of the leader election: a dead leader is replaced after about this long (milliseconds, as Marathon, or a duration such as 10secs)")
	fs.StringVar(&f.ip, "http_address", "0.0.0.0", "IP address the REST API listens on")
	fs.IntVar(&f.port, "http_port", 8080, "port of the REST API")
	fs.StringVar(&c.Hostname, "hostname", "", "hostname advertised to the master and to other replicas (default: the system hostname)")
	fs.StringVar(&f.workDir, "work_dir", "", "directory of the file store, used without --zk")
	fs.StringVar(&c.Role, "mesos_role", "*", "role the framework registers with")
	fs.StringVar(&c.User, "mesos_user", currentUserName(), "user that runs tasks of apps without \"user\"")
	fs.Var(marathonDuration{&c.FailoverTimeout, time.Second}, "failover_timeout", "how long the master keeps the tasks while no Marathon is connected (seconds, as Marathon, or a duration)")
	fs.Var(marathonDuration{&c.TaskLaunchTimeout, time.Millisecond}, "task_launch_timeout", "a task still staging after this long is killed and replaced (milliseconds, as Marathon, or a duration)")
	fs.Var(marathonDuration{&c.ReconcileInterval, time.Millisecond}, "reconciliation_interval", "period of task reconciliation with the master (milliseconds, as Marathon, or a duration)")
	fs.Func("http_endpoints", "comma-separated URLs that receive every event as an HTTP POST (more are added with POST /v2/eventSubscriptions)", func(s string) error {
		f.api.HTTPEndpoints = nil
		for _, u := range strings.Split(s, ",") {
			if u = strings.TrimSpace(u); u != "" {
				f.api.HTTPEndpoints = append(f.api.HTTPEndpoints, u)
			}
		}
		return nil
	})
	fs.Func("access_control_allow_origin", "origins (comma-separated http://host:port) whose web pages may call the API, or \"*\" for any (default: none)", func(s string) error {
		f.api.AccessControlAllowOrigin = api.ParseOrigins(s)
		return nil
	})
	fs.IntVar(&c.MaxVersions, "max_versions", c.MaxVersions, "stored versions per app")
	fs.StringVar(&f.logLevel, "logging_level", "INFO", "log level: DEBUG, INFO, WARNING or ERROR")
	f.sec = bindFrameworkSecurityFlags(fs)
	f.tls = bindFrameworkTLSFlags(fs)
	return f
}

// marathonDuration is a duration flag that also takes Marathon's bare
// numbers, read in the flag's unit ("--task_launch_timeout 300000" is
// milliseconds, "--failover_timeout 604800" seconds); "5mins" or "5m" work
// too.
type marathonDuration struct {
	d    *time.Duration
	unit time.Duration
}

func (v marathonDuration) String() string {
	if v.d == nil {
		return ""
	}
	return duration.Format(*v.d)
}

func (v marathonDuration) Set(s string) error {
	if n, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
		if n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("invalid duration %q: must not be negative", s)
		}
		*v.d = time.Duration(n * float64(v.unit))
		return nil
	}
	d, err := duration.Parse(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

func currentUserName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}

func runMarathon(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agora marathon", flag.ContinueOnError)
	f := bindMarathonFlags(fs)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process to the file until it exits (for benchmarks)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if f.cfg.ZK == "" && f.workDir == "" {
		return errors.New("--work_dir (file store) or --zk (ZooKeeper) is required")
	}
	hook, err := f.sec.hook()
	if err != nil {
		return err
	}
	f.cfg.SchedulerConfig = hook
	log, _, err := newLogger(f.logLevel)
	if err != nil {
		return err
	}
	defer log.Sync()
	return startMarathon(ctx, f, log, nil)
}

// startMarathon opens the store, listens, and runs the scheduler and its
// REST API until ctx ends. ready, if set, receives the API's address.
func startMarathon(ctx context.Context, f *marathonFlags, log *zap.Logger, ready func(addr string)) error {
	self := hostname(f.cfg.Hostname)
	ft, err := f.tls.setup(ctx, frameworkNode{name: "marathon", master: f.cfg.Master, workDir: f.workDir,
		hostname: self, hosts: frameworkHosts(self, f.ip), caFile: f.sec.caFile}, log)
	if err != nil {
		return err
	}
	st, closer, err := store.Open(f.cfg.ZK, f.workDir, log.Named("store"))
	if err != nil {
		return err
	}
	defer closer.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(f.ip, strconv.Itoa(f.port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	cfg := f.cfg
	cfg.Store = st
	cfg.Logger = log
	cfg.Hostname = hostname(cfg.Hostname)
	cfg.HTTPPort = ln.Addr().(*net.TCPAddr).Port
	host := cfg.Hostname
	if f.ip != "0.0.0.0" && f.ip != "::" && f.ip != "" {
		host = f.ip
	}
	cfg.Advertise = net.JoinHostPort(host, strconv.Itoa(cfg.HTTPPort))
	cfg.Scheme = ft.scheme
	cfg.WebUIURL = ft.scheme + "://" + cfg.Advertise
	cfg.SchedulerConfig = chainSchedulerHooks(ft.scheduler, cfg.SchedulerConfig)
	if cfg.ZK != "" {
		u, err := zkurl.Parse(cfg.ZK)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--zk: %w", err)
		}
		ecfg := election.Config{
			Servers: u.Servers, Path: path.Join(u.Path, "leader"), Prefix: "member_",
			Data: []byte(cfg.Advertise), Auth: u.Auth, SessionTimeout: f.zkTimeout, Log: log.Named("election"),
		}
		if err := ecfg.Validate(); err != nil {
			ln.Close()
			return fmt.Errorf("--zk: %w", err)
		}
		cfg.NewElector = func() (core.Elector, error) { return election.New(ecfg) }
	}
	c, err := core.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	apiServer, err := api.NewServer(c, log, f.api)
	if err != nil {
		ln.Close()
		return err
	}
	defer apiServer.Close()
	h := marathonHandler(c, apiServer, ft.leader)
	return runServingWith(ctx, ln, ft.serve, ft.withRenewal(c.Run), h, log, func() {
		log.Info("marathon listening", zap.String("address", ln.Addr().String()), zap.String("advertise", cfg.Advertise))
		if ready != nil {
			ready(ln.Addr().String())
		}
	})
}

// marathonHandler is the REST API behind the leader proxy (standbys
// forward to the leader and every answer names it in X-Marathon-Leader),
// plus Prometheus metrics at /metrics/prometheus — and at /metrics for
// clients that ask for the text format; others get Marathon's JSON.
// The leader's URL carries this replica's scheme (replicas serve alike);
// leader carries the forwarded requests (nil: http.DefaultTransport).
func marathonHandler(c *core.Core, apiServer http.Handler, leader http.RoundTripper) http.Handler {
	reg := telemetry.NewRegistry(&telemetry.MapCollector{
		Read: func(context.Context) (map[string]float64, error) { return c.Metrics(), nil },
	})
	prom := telemetry.Handler(reg)
	mux := http.NewServeMux()
	mux.Handle("/metrics/prometheus", prom)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && wantsPrometheus(r.Header.Get("Accept")) {
			prom.ServeHTTP(w, r)
			return
		}
		apiServer.ServeHTTP(w, r)
	}))
	return leaderproxy.New(leaderproxy.Config{
		IsLeader:  c.IsLeader,
		LeaderURL: c.LeaderURL,
		Header:    "X-Marathon-Leader",
		Local:     []string{"/ping", "/v2/leader", "/v2/info", "/metrics", "/metrics/prometheus"},
		Transport: leader,
	}, mux)
}

// wantsPrometheus tells a Prometheus scrape (text or OpenMetrics format)
// from a Marathon client (JSON or anything).
func wantsPrometheus(accept string) bool {
	a := strings.ToLower(accept)
	return !strings.Contains(a, "application/json") &&
		(strings.Contains(a, "openmetrics") || strings.Contains(a, "text/plain"))
}

// startDevMarathon runs Marathon for `agora dev` with a file store in dir
// and returns its API address once it listens ("" when port is -1). It
// counts itself in running; its result goes to errc.
func startDevMarathon(ctx context.Context, port int, master, dir string, log *zap.Logger, errc chan<- error, running *int) (string, error) {
	if port < 0 {
		return "", nil
	}
	fs := flag.NewFlagSet("marathon", flag.ContinueOnError)
	f := bindMarathonFlags(fs)
	f.cfg.Master, f.ip, f.port, f.workDir, f.cfg.Hostname = master, "127.0.0.1", port, dir, "localhost"
	// The master's web UI reads /v2/apps and /v2/deployments from its own
	// origin, reached as 127.0.0.1 or localhost.
	f.api.AccessControlAllowOrigin = api.ParseOrigins(devOrigins(master))
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- startMarathon(ctx, f, log.Named("dev"), func(a string) { ready <- a }) }()
	select {
	case addr := <-ready:
		*running++
		go func() { errc <- <-done }()
		// Alone, it leads at once; until then its API answers 503, which
		// the web UI would meet on its first poll.
		awaitLeader(ctx, "http://"+addr+"/v2/leader", 10*time.Second)
		return addr, nil
	case err := <-done:
		return "", fmt.Errorf("marathon: %w", err)
	}
}

// awaitLeader waits until a bundled framework knows its leader (url, its
// leader endpoint, answers 200), at most for limit.
func awaitLeader(ctx context.Context, url string, limit time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}
