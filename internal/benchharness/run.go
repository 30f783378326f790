package benchharness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/sim"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/sdk/scheduler"
)

// Run registers the simulated agents, runs the frameworks until every
// task settled (or RunTimeout), tears them down and reports. A run that
// timed out returns what it measured along with the error.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	log := cfg.Logger.Named("bench")
	// The load generator (thousands of agents, many frameworks) trades
	// memory for less GC work, so that it takes less of the CPU it shares
	// with the master under test. A master in this process is affected too.
	defer debug.SetGCPercent(debug.SetGCPercent(benchGCPercent))
	res := Result{Agents: sim.CountAgents(cfg.Sim.Groups), Frameworks: cfg.Frameworks, Tasks: cfg.Tasks, States: map[string]int{}}
	sc := newScraper(cfg.Master)
	p0, err := sc.process(ctx)
	if err != nil {
		return res, fmt.Errorf("master: reading its metrics: %w", err)
	}

	fleet, err := sim.New(cfg.Sim)
	if err != nil {
		return res, err
	}
	fctx, stopFleet := context.WithCancel(ctx)
	fleetDone := make(chan struct{})
	go func() { _ = fleet.Run(fctx); close(fleetDone) }()
	defer func() { stopFleet(); <-fleetDone }()

	start := time.Now()
	log.Info("registering agents", zap.Int("agents", res.Agents))
	if err := waitFor(ctx, cfg.RegisterTimeout, func() bool { return fleet.Stats().Subscribed == res.Agents }); err != nil {
		res.Sim = fleet.Stats()
		return res, fmt.Errorf("only %d of %d agents subscribed: %w", res.Sim.Subscribed, res.Agents, err)
	}
	res.Register = time.Since(start)
	p1, err := sc.process(ctx)
	if err != nil {
		return res, err
	}
	res.HeapPerAgent = (p1.heapBytes - p0.heapBytes) / float64(res.Agents)
	res.StackPerAgent = (p1.stackBytes - p0.stackBytes) / float64(res.Agents)
	res.RSSStart, res.RSSAgents = p0.rssBytes, p1.rssBytes
	res.RSSPerAgent = (p1.rssBytes - p0.rssBytes) / float64(res.Agents)
	log.Info("agents registered", zap.Duration("in", res.Register))

	fws, runErr := runFrameworks(ctx, &cfg, sc, &res, log)
	p2, err := sc.process(ctx)
	if err == nil {
		res.MasterCPU = time.Duration((p2.cpuSeconds - p1.cpuSeconds) * float64(time.Second))
		res.RSSEnd = p2.rssBytes
		if !cfg.WaitFinished && res.Running > 0 {
			res.HeapPerTask = (p2.heapBytes - p1.heapBytes) / float64(res.Running)
			res.RSSPerTask = (p2.rssBytes - p1.rssBytes) / float64(res.Running)
		}
	}
	if cfg.WaitFinished && runErr == nil {
		// The frameworks' last acknowledgements are still on their way.
		_ = waitFor(ctx, 10*time.Second, func() bool { return fleet.Stats().UpdatesPending() == 0 })
	}
	res.Sim = fleet.Stats()
	if cfg.StateReads > 0 && runErr == nil {
		// Read a settled cluster: the launch burst's last updates and
		// acknowledgements are still on their way.
		_ = waitFor(ctx, 30*time.Second, func() bool { return fleet.Stats().UpdatesPending() == 0 })
		res.StateReads, runErr = readStates(ctx, http.DefaultClient, cfg.Master, cfg.StateReads)
	}
	if cfg.BeforeTeardown != nil {
		cfg.BeforeTeardown()
	}
	teardown(fws, log)
	return res, runErr
}

// benchGCPercent is GOGC for the bench process while it runs.
const benchGCPercent = 400

// runFrameworks runs the frameworks until every task settled, sampling
// the master's allocation metrics meanwhile, and fills res.
func runFrameworks(ctx context.Context, cfg *Config, sc *scraper, res *Result, log *zap.Logger) ([]*framework, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Every framework has up to launchesInFlight launches and ackInFlight
	// acknowledgements in flight; keep all their connections alive.
	transport.MaxIdleConns = 0
	transport.MaxIdleConnsPerHost = (launchesInFlight + ackInFlight + 2) * cfg.Frameworks
	hc := &http.Client{Transport: transport}
	var fws []*framework
	for i := range cfg.Frameworks {
		n := cfg.Tasks / cfg.Frameworks
		if i < cfg.Tasks%cfg.Frameworks {
			n++
		}
		fw := newFramework(cfg, i, n)
		c, err := scheduler.New(scheduler.Config{
			Master: cfg.Master,
			Framework: &mesos.FrameworkInfo{
				User: proto.String("bench"), Name: proto.String(fw.name), Roles: []string{"*"},
				Capabilities: []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()}},
			},
			HTTPClient:     hc,
			AckConcurrency: ackInFlight,
			// The teardown at the end makes every client warn that its
			// stream ended.
			Logger: cfg.Logger.WithOptions(zap.IncreaseLevel(zap.ErrorLevel)),
		}, fw.callbacks())
		if err != nil {
			return nil, err
		}
		fw.client = c
		fws = append(fws, fw)
	}

	rctx, cancel := context.WithTimeout(ctx, cfg.RunTimeout)
	defer cancel()
	a0, _ := sc.snapshot(ctx)
	samples := make(chan []time.Duration, 1)
	sctx, stopSampling := context.WithCancel(rctx)
	go func() { samples <- sampleAllocations(sctx, sc, cfg.SampleInterval) }()
	for _, fw := range fws {
		go func() {
			if err := fw.client.Run(ctx); err != nil && ctx.Err() == nil {
				log.Warn("framework ended", zap.String("framework", fw.name), zap.Error(err))
			}
		}()
	}
	// Launches start once every framework has subscribed: what is measured
	// is launching, not the master admitting a hundred frameworks at once.
	var err error
	for _, fw := range fws {
		select {
		case <-fw.admitted:
		case <-rctx.Done():
			err = fmt.Errorf("not every framework subscribed: %w", rctx.Err())
		}
		if err != nil {
			break
		}
	}
	for _, fw := range fws {
		go fw.release(rctx)
	}
	for _, fw := range fws {
		if err != nil {
			break
		}
		select {
		case <-fw.done:
		case <-rctx.Done():
			err = fmt.Errorf("not every task settled: %w", rctx.Err())
		}
		if err != nil {
			break
		}
	}
	stopSampling()
	res.Allocation = spreadOf(<-samples)
	if a1, e := sc.snapshot(ctx); e == nil && a0 != nil {
		runs := a1["allocator/mesos/allocation_runs"] - a0["allocator/mesos/allocation_runs"]
		total := a1["allocator/mesos/allocation_run_ms/mean"]*a1["allocator/mesos/allocation_runs"] -
			a0["allocator/mesos/allocation_run_ms/mean"]*a0["allocator/mesos/allocation_runs"]
		if runs > 0 {
			res.AllocationRuns = int(runs)
			res.AllocationMean = time.Duration(total / runs * float64(time.Millisecond))
		}
	}
	collect(fws, res)
	return fws, err
}

// sampleAllocations reads allocator/mesos/allocation_run_ms whenever
// allocation_runs moved, until ctx ends.
func sampleAllocations(ctx context.Context, sc *scraper, every time.Duration) []time.Duration {
	var out []time.Duration
	last := -1.0
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
		}
		m, err := sc.snapshot(ctx)
		if err != nil {
			continue
		}
		if runs := m["allocator/mesos/allocation_runs"]; runs != last {
			if last >= 0 {
				out = append(out, time.Duration(m["allocator/mesos/allocation_run_ms"]*float64(time.Millisecond)))
			}
			last = runs
		}
	}
}

// collect merges the frameworks' records into res.
func collect(fws []*framework, res *Result) {
	var first, last time.Time
	var lat []time.Duration
	for _, fw := range fws {
		fw.mu.Lock()
		lat = append(lat, fw.latencies...)
		if !fw.first.IsZero() && (first.IsZero() || fw.first.Before(first)) {
			first = fw.first
		}
		if fw.last.After(last) {
			last = fw.last
		}
		for s, n := range fw.counts {
			res.States[s.String()] += n
		}
		res.Launched += fw.next
		res.LaunchErrors += fw.errors
		fw.mu.Unlock()
	}
	res.Running = len(lat)
	res.Latency = spreadOf(lat)
	if last.After(first) {
		res.Elapsed = last.Sub(first)
		res.TasksPerSecond = float64(res.Running) / res.Elapsed.Seconds()
	}
}

// teardown removes the frameworks from the master, which kills their
// tasks, and waits a little for it to be done.
func teardown(fws []*framework, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, fw := range fws {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := fw.client.Teardown(ctx); err != nil {
				log.Debug("teardown failed", zap.String("framework", fw.name), zap.Error(err))
			}
			fw.client.Stop()
			fw.stop()
		})
	}
	wg.Wait()
}

// waitFor polls cond every 20 ms until it holds, timeout passes or ctx
// ends.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("timed out after " + timeout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
