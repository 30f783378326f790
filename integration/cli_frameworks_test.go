package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIAppsAndJobs drives the bundled frameworks from the CLI as an
// operator would: deploy an app and wait for it, scale it, list and delete
// it; add a job and a dependent job, run the parent now and read both
// histories.
func TestCLIAppsAndJobs(t *testing.T) {
	m := startMaster(t)
	startAgent(t, m, "cli-fw-agent")
	mp := startMarathon(t, m)
	chronosURL, _ := startChronos(t, m)
	dir := t.TempDir()

	appFile := filepath.Join(dir, "app.json")
	writeFile(t, appFile, `{"id": "cli/sleeper", "cmd": "sleep 300", "cpus": 0.1, "mem": 16, "instances": 2, "ports": null}`)
	out, stderr, err := agoraCLI(t, "apps", "deploy", appFile, "--wait", "--marathon", mp.url)
	if err != nil || !strings.Contains(out, "Deployed /cli/sleeper: 2/2 running") {
		t.Fatalf("apps deploy --wait: %v\nstdout: %s\nstderr: %s", err, out, stderr)
	}
	if !strings.Contains(stderr, "[####################] 2/2 running") && !strings.Contains(stderr, "running") {
		t.Errorf("apps deploy --wait drew no progress: %q", stderr)
	}
	out, _, err = agoraCLI(t, "apps", "scale", "cli/sleeper", "3", "--wait", "--marathon", mp.url)
	if err != nil || !strings.Contains(out, "3/3 running") {
		t.Fatalf("apps scale --wait: %v\n%s", err, out)
	}
	out, _, err = agoraCLI(t, "apps", "list", "--marathon", mp.url)
	if err != nil || !strings.Contains(out, "/cli/sleeper") || !strings.Contains(out, "3/3") {
		t.Errorf("apps list: %v\n%s", err, out)
	}
	// Deploying the same file again updates the app (back to 2 instances).
	out, _, err = agoraCLI(t, "apps", "deploy", appFile, "--wait", "--marathon", mp.url)
	if err != nil || !strings.Contains(out, "2/2 running") {
		t.Errorf("apps deploy of an existing app: %v\n%s", err, out)
	}
	// A bad definition fails with the field named.
	badFile := filepath.Join(dir, "bad.json")
	writeFile(t, badFile, `{"id": "cli/bad", "cmd": "true", "cpus": -1}`)
	_, stderr, err = agoraCLI(t, "apps", "deploy", badFile, "--marathon", mp.url)
	if _, ok := err.(*exec.ExitError); !ok || !strings.Contains(stderr, "/cpus") {
		t.Errorf("apps deploy of an invalid app: err %v, stderr %q", err, stderr)
	}
	out, _, err = agoraCLI(t, "apps", "delete", "cli/sleeper", "--wait", "--marathon", mp.url)
	if err != nil || !strings.Contains(out, "Deleted /cli/sleeper") {
		t.Errorf("apps delete --wait: %v\n%s", err, out)
	}

	parent := filepath.Join(dir, "parent.json")
	child := filepath.Join(dir, "child.json")
	start := time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	writeFile(t, parent, `{"name": "cli-parent", "command": "echo parent", "schedule": "R/`+start+`/P1D", "owner": "ops@example.com"}`)
	writeFile(t, child, `{"name": "cli-child", "command": "echo child", "parents": ["cli-parent"], "owner": "ops@example.com"}`)
	for _, f := range []string{parent, child} {
		if out, stderr, err := agoraCLI(t, "jobs", "add", f, "--chronos", chronosURL); err != nil {
			t.Fatalf("jobs add %s: %v\n%s%s", f, err, out, stderr)
		}
	}
	if out, _, err := agoraCLI(t, "jobs", "run", "cli-parent", "--chronos", chronosURL); err != nil {
		t.Fatalf("jobs run: %v\n%s", err, out)
	}
	eventually(t, 30*time.Second, "cli-child ran after cli-parent", func() error {
		out, _, err := agoraCLI(t, "jobs", "history", "cli-child", "--chronos", chronosURL)
		if err != nil {
			return err
		}
		if !strings.Contains(out, "success") {
			return errString("child history: " + out)
		}
		return nil
	})
	out, _, err = agoraCLI(t, "jobs", "list", "--chronos", chronosURL)
	if err != nil || !strings.Contains(out, "after [cli-parent]") {
		t.Errorf("jobs list: %v\n%s", err, out)
	}
	out, _, err = agoraCLI(t, "jobs", "history", "cli-parent", "--chronos", chronosURL)
	if err != nil || strings.Count(out, "success") != 1 {
		t.Errorf("jobs history cli-parent: want one successful run: %v\n%s", err, out)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
