package agent

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/client"

	"github.com/agoraproject/agora/agent/containerizer/docker"
	"github.com/agoraproject/agora/agent/containerizer/docker/dockertest"
	"github.com/agoraproject/agora/agent/statusupdate"
)

// BenchmarkDockerLaunch measures the time from the master sending RUN_TASK
// for a Docker task (a local image, `sleep 10`, cpus 0.1, mem 32) to it
// receiving TASK_RUNNING, beside the same container started by `docker run
// -d` (the CLI, the peer the goal names) and by the engine's API alone
// (create + start, the floor), interleaved round by round so that the
// machine's noise hits all three alike. It reports the medians and the
// ratios at the median.
func BenchmarkDockerLaunch(b *testing.B) {
	cli := dockertest.Client(b)
	img := dockertest.Busybox(b, cli)
	if _, err := exec.LookPath("docker"); err != nil {
		b.Fatal("the docker CLI is needed for the comparison: ", err)
	}
	rec := newLaunchRecorder()
	m := newBenchMaster(b, rec.update)
	workDir := b.TempDir()
	d, err := docker.New(docker.Config{Logger: testLogger(), WorkDir: workDir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	a, err := New(Config{
		Master: m.srv.Listener.Addr().String(), WorkDir: workDir, Hostname: "bench", IP: "127.0.0.1", Port: 5151,
		StatusUpdates: statusupdate.Config{InitialBackoff: 10 * time.Second, MaxBackoff: time.Minute},
		Containerizer: d, KillGracePeriod: time.Second, Seed: 1, Logger: testLogger(),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })

	fw := frameworkInfo("fw")
	const rounds = 20
	var agora, cliRun, api []time.Duration
	n := 0
	for b.Loop() {
		for range rounds {
			n++
			id := "t" + strconv.Itoa(n)
			ti := dockerTask(id, img, "sleep 10")
			ti.Resources = cgResources(0.1, 32)
			rec.mu.Lock()
			rec.sent[id] = time.Now()
			rec.mu.Unlock()
			m.events <- runTask(fw, ti)
			<-rec.running
			m.events <- killTask("fw", id, 0)
			<-rec.killed

			name := "agora-bench-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(n)
			cliRun = append(cliRun, dockerRun(b, img, name+"-cli", b.TempDir()))
			api = append(api, apiRun(b, cli, img, name+"-api", b.TempDir()))
		}
	}
	rec.mu.Lock()
	agora = append(agora, rec.latency...)
	rec.mu.Unlock()
	pa, _ := percentiles(agora)
	pc, _ := percentiles(cliRun)
	pe, _ := percentiles(api)
	b.ReportMetric(pa, "agora-p50-ms")
	b.ReportMetric(pc, "docker-run-p50-ms")
	b.ReportMetric(pe, "api-p50-ms")
	b.ReportMetric(pa/pc, "ratio-vs-docker-run")
	b.ReportMetric(pa/pe, "ratio-vs-api")
	b.ReportMetric(0, "ns/op")
}

// dockerRun times `docker run -d` of the container a task gets (init,
// CPU shares and memory of cpus 0.1 and mem 32, the sandbox mounted)
// until the CLI returns with it started, then removes it untimed.
func dockerRun(b *testing.B, img, name, sandbox string) time.Duration {
	start := time.Now()
	out, err := exec.Command("docker", "run", "-d", "--init", "--name", name, "--network", "host",
		"--cpu-shares", "102", "--memory", "32m", "--memory-swap", "32m",
		"--mount", "type=bind,source="+sandbox+",target="+docker.SandboxPath,
		"--entrypoint", "/bin/sh", img, "-c", "sleep 10").CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("docker run: %v: %s", err, out)
	}
	if out, err := exec.Command("docker", "rm", "-f", name).CombinedOutput(); err != nil {
		b.Fatalf("docker rm: %v: %s", err, out)
	}
	return elapsed
}

// apiRun times ContainerCreate + ContainerStart of the same container.
func apiRun(b *testing.B, cli *client.Client, img, name, sandbox string) time.Duration {
	ctx := context.Background()
	init := true
	start := time.Now()
	c, err := cli.ContainerCreate(ctx,
		&container.Config{Image: img, Entrypoint: []string{"/bin/sh"}, Cmd: []string{"-c", "sleep 10"}},
		&container.HostConfig{NetworkMode: "host", Init: &init,
			Resources: container.Resources{CPUShares: 102, Memory: 32 << 20, MemorySwap: 32 << 20},
			Mounts:    []mount.Mount{{Type: mount.TypeBind, Source: sandbox, Target: docker.SandboxPath}}},
		nil, nil, name)
	if err == nil {
		err = cli.ContainerStart(ctx, c.ID, container.StartOptions{})
	}
	elapsed := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
		b.Fatal(err)
	}
	return elapsed
}
