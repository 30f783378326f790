package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"text/tabwriter"
)

const jobsUsage = "jobs add FILE.json | jobs run NAME [--arguments A,B] | jobs list | jobs history NAME"

// chronosPrefix is the Chronos API root (the 3.x form; 2.x clients use
// /scheduler, which Agora serves as well).
const chronosPrefix = "/v1/scheduler"

func runJobs(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: agora %s", jobsUsage)
	}
	sub, args := args[0], args[1:]
	fs, o := newFlags(env, "jobs "+sub)
	arguments := fs.String("arguments", "", "jobs run: comma-separated arguments for this run")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	c, err := newClient("chronos", o.chronos, o)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		if err := wantArgs(pos, 1, "jobs add FILE.json"); err != nil {
			return err
		}
		name, err := jobsAdd(ctx, c, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Added job %s\n", name)
		return nil
	case "run":
		if err := wantArgs(pos, 1, "jobs run NAME [--arguments A,B]"); err != nil {
			return err
		}
		path := chronosPrefix + "/job/" + url.PathEscape(pos[0])
		if *arguments != "" {
			path += "?" + url.Values{"arguments": {*arguments}}.Encode()
		}
		if err := c.do(ctx, http.MethodPut, path, nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Started job %s\n", pos[0])
		return nil
	case "list":
		return jobsList(ctx, env, c, o.json)
	case "history":
		if err := wantArgs(pos, 1, "jobs history NAME"); err != nil {
			return err
		}
		return jobsHistory(ctx, env, c, pos[0], o.json)
	}
	return fmt.Errorf("jobs: unknown subcommand %q; usage: agora %s", sub, jobsUsage)
}

// jobsAdd posts a job definition: to /dependency when it has parents, to
// /iso8601 otherwise, as Chronos requires.
func jobsAdd(ctx context.Context, c *client, file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var def struct {
		Name    string   `json:"name"`
		Parents []string `json:"parents"`
	}
	if err := json.Unmarshal(data, &def); err != nil {
		return "", fmt.Errorf("%s is not a job definition (JSON object): %w", file, err)
	}
	if def.Name == "" {
		return "", fmt.Errorf("%s: the job definition has no \"name\"", file)
	}
	path := chronosPrefix + "/iso8601"
	if len(def.Parents) > 0 {
		path = chronosPrefix + "/dependency"
	}
	return def.Name, c.do(ctx, http.MethodPost, path, data, nil)
}

// jobJSON is the part of a Chronos job the CLI shows.
type jobJSON struct {
	Name           string   `json:"name"`
	Command        string   `json:"command"`
	Schedule       string   `json:"schedule"`
	Parents        []string `json:"parents"`
	Disabled       bool     `json:"disabled"`
	SuccessCount   int      `json:"successCount"`
	ErrorCount     int      `json:"errorCount"`
	LastSuccess    string   `json:"lastSuccess"`
	LastError      string   `json:"lastError"`
	ErrorsSinceRun int      `json:"errorsSinceLastSuccess"`
}

func jobsList(ctx context.Context, env Env, c *client, asJSON bool) error {
	var raw json.RawMessage
	if err := c.get(ctx, chronosPrefix+"/jobs", &raw); err != nil {
		return err
	}
	if asJSON {
		var v any
		_ = json.Unmarshal(raw, &v)
		return printJSON(env.Stdout, v)
	}
	var jobs []jobJSON
	if err := json.Unmarshal(raw, &jobs); err != nil {
		return fmt.Errorf("chronos: /jobs answer: %w", err)
	}
	var sum struct {
		Jobs []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"jobs"`
	}
	states := map[string]string{}
	if c.get(ctx, chronosPrefix+"/jobs/summary", &sum) == nil {
		for _, j := range sum.Jobs {
			states[j.Name] = j.State
		}
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].Name < jobs[j].Name })
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tSCHEDULE/PARENTS\tSUCCESSES\tERRORS\tLAST SUCCESS\tLAST ERROR")
	for _, j := range jobs {
		when := j.Schedule
		if len(j.Parents) > 0 {
			when = "after " + fmt.Sprint(j.Parents)
		}
		state := orDash(states[j.Name])
		if j.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", j.Name, state, when, j.SuccessCount, j.ErrorCount, orDash(j.LastSuccess), orDash(j.LastError))
	}
	return tw.Flush()
}

// runJSON is one run in a job's history (Chronos's taskStatHistory).
type runJSON struct {
	TaskID    string `json:"taskId"`
	Status    string `json:"status"`
	TaskState string `json:"taskState"`
	Start     string `json:"startTime"`
	End       string `json:"endTime"`
	Hostname  string `json:"hostname"`
	Message   string `json:"message"`
}

func jobsHistory(ctx context.Context, env Env, c *client, name string, asJSON bool) error {
	var raw json.RawMessage
	if err := c.get(ctx, chronosPrefix+"/job/stat/"+url.PathEscape(name), &raw); err != nil {
		return err
	}
	if asJSON {
		var v any
		_ = json.Unmarshal(raw, &v)
		return printJSON(env.Stdout, v)
	}
	var stat struct {
		History []runJSON `json:"taskStatHistory"`
	}
	if err := json.Unmarshal(raw, &stat); err != nil {
		return fmt.Errorf("chronos: job stat answer: %w", err)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tEND\tSTATUS\tHOST\tTASK\tMESSAGE")
	for _, r := range stat.History {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", orDash(r.Start), orDash(r.End), orDash(r.Status), orDash(r.Hostname), r.TaskID, truncate(r.Message, 60))
	}
	return tw.Flush()
}
