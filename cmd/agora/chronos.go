package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/chronos"
	"github.com/agoraproject/agora/frameworks/chronos/api"
	"github.com/agoraproject/agora/frameworks/chronos/job"
	"github.com/agoraproject/agora/frameworks/chronos/runner"
	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/internal/election"
	"github.com/agoraproject/agora/internal/leaderproxy"
	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/internal/telemetry"
	"github.com/agoraproject/agora/internal/zkurl"
)

type chronosFlags struct {
	cfg       chronos.Config
	zk        string
	zkTimeout time.Duration
	ip        string
	port      int
	workDir   string
	logLevel  string
	// allowOrigin is --access_control_allow_origin (see api.ParseOrigins).
	allowOrigin string
	sec         *frameworkSecurityFlags // security_framework.go
	tls         *frameworkTLSFlags      // frameworktls.go
}

func bindChronosFlags(fs *flag.FlagSet) *chronosFlags {
	f := &chronosFlags{cfg: chronos.Config{}.WithDefaults()}
	c := &f.cfg
	fs.StringVar(&c.Master, "master", "127.0.0.1:5050", "master host:port, URL, or comma-separated list")
	fs.StringVar(&f.zk, "zk", "", "zk://host:port/path for state and leader election among replicas (default: files under --work_dir, one replica)")
	f.zkTimeout = election.DefaultSessionTimeout
	fs.Var(duration.Value{D: &f.zkTimeout}, "zk_session_timeout", "ZooKeeper session timeout of the leader election: a dead leader is replaced after about this long")
	fs.StringVar(&f.ip, "ip", "0.0.0.0", "IP address the REST API listens on")
	fs.IntVar(&f.port, "http_port", 4400, "port of the REST API")
	fs.StringVar(&c.Hostname, "hostname", "", "hostname advertised to the master and to other replicas (default: the system hostname)")
	fs.StringVar(&f.workDir, "work_dir", "", "directory of the file store when --zk is not given (default: ./chronos-state)")
	fs.StringVar(&c.Role, "mesos_role", c.Role, "role to receive offers for")
	fs.StringVar(&c.User, "user", c.User, "framework user; tasks run as the job's runAsUser, else this")
	fs.Var(duration.Value{D: &c.FailoverTimeout}, "failover_timeout", "how long the master keeps the framework's tasks while no replica is connected")
	fs.Float64Var(&c.DefaultCpus, "default_cpus", c.DefaultCpus, "cpus of a job that asks for 0")
	fs.Float64Var(&c.DefaultMem, "default_mem", c.DefaultMem, "memory (MiB) of a job that asks for 0")
	fs.Float64Var(c.DefaultDisk, "default_disk", *c.DefaultDisk, "disk (MiB) of a job that asks for 0; 0 = no disk")
	fs.IntVar(&c.Runner.DisableAfterFailures, "disable_after_failures", 0, "disable a job after this many failed runs in a row (0 = never)")
	fs.Var(duration.Value{D: &c.Runner.FailureRetry}, "failure_retry", "wait before a failed attempt is retried")
	fs.IntVar(&c.Runner.TaskHistory, "task_history", c.Runner.TaskHistory, "ended runs kept per job")
	fs.StringVar(&f.allowOrigin, "access_control_allow_origin", "", `origins whose web pages may call the API, comma-separated ("http://master:5050"), or "*" for any; default none`)
	fs.StringVar(&f.logLevel, "logging_level", "INFO", "log level: DEBUG, INFO, WARNING or ERROR")
	f.sec = bindFrameworkSecurityFlags(fs)
	f.tls = bindFrameworkTLSFlags(fs)
	return f
}

func runChronos(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agora chronos", flag.ContinueOnError)
	f := bindChronosFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	hook, err := f.sec.hook()
	if err != nil {
		return err
	}
	f.cfg.Scheduler = hook
	log, _, err := newLogger(f.logLevel)
	if err != nil {
		return err
	}
	defer log.Sync()
	return startChronos(ctx, f, log, nil)
}

// switchBackend points the API at the framework of the current leadership
// term; between terms requests get 503.
type switchBackend struct {
	cur atomic.Pointer[chronos.Framework]
}

func (s *switchBackend) get() (*chronos.Framework, error) {
	if f := s.cur.Load(); f != nil {
		return f, nil
	}
	return nil, fmt.Errorf("not leading")
}

func (s *switchBackend) PutJob(ctx context.Context, j job.Job) error {
	f, err := s.get()
	if err != nil {
		return err
	}
	return f.PutJob(ctx, j)
}
func (s *switchBackend) DeleteJob(ctx context.Context, n string) error {
	f, err := s.get()
	if err != nil {
		return err
	}
	return f.DeleteJob(ctx, n)
}
func (s *switchBackend) RunJob(ctx context.Context, n string, a []string) error {
	f, err := s.get()
	if err != nil {
		return err
	}
	return f.RunJob(ctx, n, a)
}
func (s *switchBackend) MarkSuccess(ctx context.Context, n string) error {
	f, err := s.get()
	if err != nil {
		return err
	}
	return f.MarkSuccess(ctx, n)
}
func (s *switchBackend) KillTasks(ctx context.Context, n string) error {
	f, err := s.get()
	if err != nil {
		return err
	}
	return f.KillTasks(ctx, n)
}
func (s *switchBackend) Jobs(ctx context.Context) ([]runner.JobView, error) {
	f, err := s.get()
	if err != nil {
		return nil, err
	}
	return f.Jobs(ctx)
}
func (s *switchBackend) Job(ctx context.Context, n string) (runner.JobView, error) {
	f, err := s.get()
	if err != nil {
		return runner.JobView{}, err
	}
	return f.Job(ctx, n)
}

// startChronos serves the API and runs the framework while this replica
// leads (always, without --zk). ready, if set, gets the API's address.
func startChronos(ctx context.Context, f *chronosFlags, log *zap.Logger, ready func(addr string)) error {
	workDir := f.workDir
	if workDir == "" && f.zk == "" {
		workDir = "chronos-state"
	}
	name := hostname(f.cfg.Hostname)
	ft, err := f.tls.setup(ctx, frameworkNode{name: "chronos", master: f.cfg.Master, workDir: workDir,
		hostname: name, hosts: frameworkHosts(name, f.ip), caFile: f.sec.caFile}, log)
	if err != nil {
		return err
	}
	scheme := ft.scheme
	ln, err := net.Listen("tcp", net.JoinHostPort(f.ip, strconv.Itoa(f.port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	cfg := f.cfg
	cfg.Hostname = name
	self := net.JoinHostPort(cfg.Hostname, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	cfg.WebURL = scheme + "://" + self
	cfg.Logger = log
	cfg.Scheduler = chainSchedulerHooks(ft.scheduler, cfg.Scheduler)
	st, closer, err := store.Open(f.zk, workDir, log.Named("store"))
	if err != nil {
		ln.Close()
		return err
	}
	defer closer.Close()
	cfg.Store = st
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return err
	}

	backend := &switchBackend{}
	isLeader := func() bool { return backend.cur.Load() != nil }
	leaderAddr := func() (string, bool) { return self, isLeader() }
	var elector *election.Elector
	if f.zk != "" {
		u, err := zkurl.Parse(f.zk)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--zk: %w", err)
		}
		data, _ := json.Marshal(map[string]string{"hostPort": self})
		elector, err = election.New(election.Config{Servers: u.Servers, Path: u.Path + "/leader", Prefix: "member_", Data: data, Auth: u.Auth, SessionTimeout: f.zkTimeout, Log: log.Named("election")})
		if err != nil {
			ln.Close()
			return err
		}
		leaderAddr = func() (string, bool) {
			b, ok := elector.Leader()
			var info struct{ HostPort string }
			if !ok || json.Unmarshal(b, &info) != nil || info.HostPort == "" {
				return "", false
			}
			return info.HostPort, true
		}
	}
	metrics := telemetry.NewRegistry(&telemetry.MapCollector{Read: func(ctx context.Context) (map[string]float64, error) {
		if fw := backend.cur.Load(); fw != nil {
			return fw.Metrics(ctx)
		}
		return map[string]float64{"chronos/leader": 0}, nil
	}})
	var h http.Handler = api.New(backend, api.Options{Leader: leaderAddr, Metrics: telemetry.Handler(metrics), AllowOrigins: api.ParseOrigins(f.allowOrigin), Logger: log})
	if elector != nil {
		h = leaderproxy.New(leaderproxy.Config{
			IsLeader: isLeader,
			LeaderURL: func() (string, bool) {
				a, ok := leaderAddr()
				return scheme + "://" + a, ok
			},
			Local:     []string{"/ping", "/leader", "/metrics"},
			Transport: ft.leader,
		}, h)
	}
	run := func(ctx context.Context) error {
		if elector == nil {
			return runTerm(ctx, cfg, backend)
		}
		return runElected(ctx, cfg, backend, elector, log)
	}
	return runServingWith(ctx, ln, ft.serve, ft.withRenewal(run), h, log, func() {
		log.Info("chronos listening", zap.String("address", ln.Addr().String()))
		if ready != nil {
			ready(ln.Addr().String())
		}
	})
}

// runTerm runs one framework until ctx ends: one leadership term.
func runTerm(ctx context.Context, cfg chronos.Config, backend *switchBackend) error {
	fw, err := chronos.New(cfg)
	if err != nil {
		return err
	}
	backend.cur.Store(fw)
	defer backend.cur.Store(nil)
	return fw.Run(ctx)
}

// runElected contends for leadership and runs a term each time this
// replica leads; a term ends as soon as leadership is lost.
func runElected(ctx context.Context, cfg chronos.Config, backend *switchBackend, e *election.Elector, log *zap.Logger) error {
	go func() {
		if err := e.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("election stopped", zap.Error(err))
		}
	}()
	for ctx.Err() == nil {
		if !e.IsLeader() {
			select {
			case <-ctx.Done():
				return nil
			case <-e.Changes():
			case <-time.After(time.Second):
			}
			continue
		}
		log.Info("elected leader")
		tctx, cancel := context.WithCancel(ctx)
		go func() {
			for e.IsLeader() && tctx.Err() == nil {
				select {
				case <-e.Changes():
				case <-tctx.Done():
				case <-time.After(time.Second):
				}
			}
			cancel()
		}()
		term := cfg
		if own, ok := e.Own(); ok {
			// Each commit checks this term's election znode, so a write
			// sent just before the session expired cannot land after the
			// next leader's.
			term.Store = store.Fence(cfg.Store, own)
		}
		err := runTerm(tctx, term, backend)
		cancel()
		if err != nil && ctx.Err() == nil {
			log.Error("leadership term ended with an error", zap.Error(err))
		} else {
			log.Info("leadership term ended")
		}
	}
	return nil
}

// startDevChronos runs the bundled Chronos of `agora dev` on port (-1: not
// at all), its state under dir. It reports its stop on errc.
func startDevChronos(ctx context.Context, port int, master, dir string, log *zap.Logger, errc chan<- error, running *int) (string, error) {
	if port < 0 {
		return "", nil
	}
	fs := flag.NewFlagSet("chronos", flag.ContinueOnError)
	f := bindChronosFlags(fs)
	f.cfg.Master, f.ip, f.port, f.workDir, f.cfg.Hostname = master, "127.0.0.1", port, dir, "localhost"
	// The master's web UI reads the jobs from its own origin, reached as
	// 127.0.0.1 or localhost.
	f.allowOrigin = devOrigins(master)
	if u := os.Getenv("USER"); u != "" {
		f.cfg.User = u
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- startChronos(ctx, f, log.Named("dev"), func(a string) { ready <- a }) }()
	select {
	case addr := <-ready:
		*running++
		go func() { errc <- <-done }()
		awaitLeader(ctx, "http://"+addr+"/leader", 10*time.Second) // marathon.go
		return addr, nil
	case err := <-done:
		return "", fmt.Errorf("chronos: %w", err)
	}
}

// devOrigins are the origins of the web UI of a dev master at addr
// ("127.0.0.1:5050"): the address itself and its port on localhost and
// 127.0.0.1.
func devOrigins(addr string) string {
	origins := []string{"http://" + addr}
	if _, port, err := net.SplitHostPort(addr); err == nil {
		for _, h := range []string{"localhost", "127.0.0.1"} {
			if o := "http://" + net.JoinHostPort(h, port); o != origins[0] {
				origins = append(origins, o)
			}
		}
	}
	return strings.Join(origins, ",")
}
