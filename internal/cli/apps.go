package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// deployPoll is how often --wait looks at the deployment.
var deployPoll = 500 * time.Millisecond

const appsUsage = "apps deploy FILE.json [--wait] | apps list | apps scale ID N [--wait] | apps restart ID [--wait] | apps delete ID [--wait]"

func runApps(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: agora %s", appsUsage)
	}
	sub, args := args[0], args[1:]
	fs, o := newFlags(env, "apps "+sub)
	wait := fs.Bool("wait", false, "wait until the deployment finishes, showing its progress")
	force := fs.Bool("force", false, "override a deployment that holds the app")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long --wait waits")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	m, err := newClient("marathon", o.marathon, o)
	if err != nil {
		return err
	}
	q := ""
	if *force {
		q = "?force=true"
	}
	var dep deploymentRef
	var appID string
	switch sub {
	case "list":
		return appsList(ctx, env, m, o.json)
	case "deploy":
		if err := wantArgs(pos, 1, "apps deploy FILE.json [--wait]"); err != nil {
			return err
		}
		appID, dep, err = appsDeploy(ctx, m, pos[0], q)
	case "scale":
		if err := wantArgs(pos, 2, "apps scale ID N [--wait]"); err != nil {
			return err
		}
		n, convErr := strconv.Atoi(pos[1])
		if convErr != nil || n < 0 {
			return fmt.Errorf("apps scale: instances %q is not a whole number ≥ 0", pos[1])
		}
		appID = appPath(pos[0])
		body, _ := json.Marshal(map[string]int{"instances": n})
		err = m.do(ctx, http.MethodPut, "/v2/apps"+appID+q, body, &dep)
	case "restart":
		if err := wantArgs(pos, 1, "apps restart ID [--wait]"); err != nil {
			return err
		}
		appID = appPath(pos[0])
		err = m.do(ctx, http.MethodPost, "/v2/apps"+appID+"/restart"+q, nil, &dep)
	case "delete":
		if err := wantArgs(pos, 1, "apps delete ID [--wait]"); err != nil {
			return err
		}
		appID = appPath(pos[0])
		err = m.do(ctx, http.MethodDelete, "/v2/apps"+appID+q, nil, &dep)
	default:
		return fmt.Errorf("apps: unknown subcommand %q; usage: agora %s", sub, appsUsage)
	}
	if err != nil {
		return err
	}
	if o.json && !*wait {
		return printJSON(env.Stdout, dep)
	}
	fmt.Fprintf(env.Stdout, "%s %s: deployment %s (version %s)\n", capitalize(sub), appID, orDash(dep.DeploymentID), orDash(dep.Version))
	if !*wait || dep.DeploymentID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return waitDeployment(ctx, env, m, appID, dep.DeploymentID, sub == "delete")
}

// deploymentRef is Marathon's answer to a change: {"version", "deploymentId"}.
type deploymentRef struct {
	Version      string `json:"version"`
	DeploymentID string `json:"deploymentId"`
}

// appPath makes "web" and "/web" both "/web".
func appPath(id string) string {
	return "/" + strings.Trim(id, "/")
}

// appsDeploy creates the app in FILE, or updates it when it exists.
func appsDeploy(ctx context.Context, m *client, file, q string) (string, deploymentRef, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", deploymentRef{}, err
	}
	var def struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &def); err != nil {
		return "", deploymentRef{}, fmt.Errorf("%s is not an app definition (JSON object): %w", file, err)
	}
	if def.ID == "" {
		return "", deploymentRef{}, fmt.Errorf("%s: the app definition has no \"id\"", file)
	}
	id := appPath(def.ID)
	var created struct {
		Version     string `json:"version"`
		Deployments []struct {
			ID string `json:"id"`
		} `json:"deployments"`
	}
	h, err := m.doHeader(ctx, http.MethodPost, "/v2/apps"+q, data, &created)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict && strings.Contains(ae.Message, "already exists") {
		var dep deploymentRef
		err = m.do(ctx, http.MethodPut, "/v2/apps"+id+q, data, &dep)
		return id, dep, err
	}
	if err != nil {
		return id, deploymentRef{}, err
	}
	dep := deploymentRef{Version: created.Version, DeploymentID: h.Get("Marathon-Deployment-Id")}
	if dep.DeploymentID == "" && len(created.Deployments) > 0 {
		dep.DeploymentID = created.Deployments[0].ID
	}
	return id, dep, nil
}

// appJSON is the part of a Marathon app the CLI shows.
type appJSON struct {
	ID        string   `json:"id"`
	Cmd       *string  `json:"cmd"`
	Args      []string `json:"args"`
	Instances int      `json:"instances"`
	CPUs      float64  `json:"cpus"`
	Mem       float64  `json:"mem"`
	Container *struct {
		Docker *struct {
			Image string `json:"image"`
		} `json:"docker"`
	} `json:"container"`
	TasksStaged    int `json:"tasksStaged"`
	TasksRunning   int `json:"tasksRunning"`
	TasksHealthy   int `json:"tasksHealthy"`
	TasksUnhealthy int `json:"tasksUnhealthy"`
	Deployments    []struct {
		ID string `json:"id"`
	} `json:"deployments"`
}

func (a appJSON) what() string {
	if a.Container != nil && a.Container.Docker != nil && a.Container.Docker.Image != "" {
		return "image " + a.Container.Docker.Image
	}
	if a.Cmd != nil {
		return *a.Cmd
	}
	return strings.Join(a.Args, " ")
}

func appsList(ctx context.Context, env Env, m *client, asJSON bool) error {
	var raw json.RawMessage
	if err := m.get(ctx, "/v2/apps", &raw); err != nil {
		return err
	}
	if asJSON {
		var v any
		_ = json.Unmarshal(raw, &v)
		return printJSON(env.Stdout, v)
	}
	var list struct {
		Apps []appJSON `json:"apps"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("marathon: /v2/apps answer: %w", err)
	}
	sort.Slice(list.Apps, func(i, j int) bool { return list.Apps[i].ID < list.Apps[j].ID })
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRUNNING\tHEALTHY\tCPUS\tMEM\tDEPLOYING\tCOMMAND")
	for _, a := range list.Apps {
		deploying := "-"
		if len(a.Deployments) > 0 {
			deploying = "yes"
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%d\t%s\t%s\t%s\t%s\n", a.ID, a.TasksRunning, a.Instances, a.TasksHealthy,
			quantity("cpus", a.CPUs), quantity("mem", a.Mem), deploying, truncate(a.what(), 50))
	}
	return tw.Flush()
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// deploymentJSON is the part of /v2/deployments --wait shows.
type deploymentJSON struct {
	ID             string `json:"id"`
	CurrentStep    int    `json:"currentStep"`
	TotalSteps     int    `json:"totalSteps"`
	CurrentActions []struct {
		Action  string `json:"action"`
		App     string `json:"app"`
		Waiting string `json:"waiting"`
	} `json:"currentActions"`
}

// waitDeployment polls until the deployment is gone, drawing a progress bar
// on stderr, then checks the app reached its goal.
func waitDeployment(ctx context.Context, env Env, m *client, appID, depID string, deleting bool) error {
	start := time.Now()
	lastLine := ""
	for {
		var deps []deploymentJSON
		if err := m.get(ctx, "/v2/deployments", &deps); err != nil {
			return err
		}
		var cur *deploymentJSON
		for i := range deps {
			if deps[i].ID == depID {
				cur = &deps[i]
			}
		}
		var a struct {
			App appJSON `json:"app"`
		}
		appErr := m.get(ctx, "/v2/apps"+appID, &a)
		var ae *apiError
		gone := errors.As(appErr, &ae) && ae.Status == http.StatusNotFound
		if appErr != nil && !gone {
			return appErr
		}
		if cur == nil {
			fmt.Fprintln(env.Stderr)
			return finishDeployment(env, appID, depID, a.App, gone, deleting, time.Since(start))
		}
		line := progressLine(a.App, cur)
		if line != lastLine {
			fmt.Fprintf(env.Stderr, "\r%s\033[K", line)
			lastLine = line
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(env.Stderr)
			return fmt.Errorf("deployment %s of %s did not finish in time: %s", depID, appID, line)
		case <-time.After(deployPoll):
		}
	}
}

func finishDeployment(env Env, appID, depID string, a appJSON, gone, deleting bool, took time.Duration) error {
	took = took.Round(100 * time.Millisecond)
	if deleting {
		if !gone {
			return fmt.Errorf("deployment %s ended but %s still exists (was it cancelled?)", depID, appID)
		}
		fmt.Fprintf(env.Stdout, "Deleted %s in %s\n", appID, took)
		return nil
	}
	if gone {
		return fmt.Errorf("deployment %s ended and %s no longer exists", depID, appID)
	}
	if a.TasksRunning < a.Instances {
		return fmt.Errorf("deployment %s ended with %d of %d instances of %s running (was it cancelled or rolled back?)", depID, a.TasksRunning, a.Instances, appID)
	}
	fmt.Fprintf(env.Stdout, "Deployed %s: %d/%d running, %d healthy, in %s\n", appID, a.TasksRunning, a.Instances, a.TasksHealthy, took)
	return nil
}

// progressLine renders "[#####-----] 5/10 running, 4 healthy · step 1/2
// RestartApplication · waiting: ...".
func progressLine(a appJSON, d *deploymentJSON) string {
	const width = 20
	filled := 0
	if a.Instances > 0 {
		filled = width * min(a.TasksRunning, a.Instances) / a.Instances
	}
	bar := "[" + strings.Repeat("#", filled) + strings.Repeat("-", width-filled) + "]"
	s := fmt.Sprintf("%s %d/%d running, %d healthy · step %d/%d", bar, a.TasksRunning, a.Instances, a.TasksHealthy, d.CurrentStep, d.TotalSteps)
	for _, act := range d.CurrentActions {
		s += " " + act.Action
		if act.Waiting != "" {
			s += " · waiting: " + act.Waiting
		}
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
