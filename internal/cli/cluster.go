package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

func runStatus(ctx context.Context, env Env, args []string) error {
	fs, o := newFlags(env, "status")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	s, err := fetchMasterState(ctx, o)
	if err != nil {
		return err
	}
	if o.json {
		return printJSON(env.Stdout, statusSummary(s))
	}
	writeStatus(env.Stdout, s)
	return nil
}

// summary is `agora status --json`.
type summary struct {
	Leader     string                        `json:"leader"`
	Version    string                        `json:"version"`
	Agents     map[string]int                `json:"agents"`
	Frameworks int                           `json:"frameworks"`
	Tasks      map[string]int                `json:"tasks"`
	Resources  map[string]map[string]float64 `json:"resources"`
}

var summaryResources = []string{"cpus", "mem", "disk", "gpus"}

func statusSummary(s *masterState) summary {
	sum := summary{
		Leader: s.Leader, Version: s.Version,
		Agents:     map[string]int{"active": 0, "inactive": 0},
		Frameworks: len(s.Frameworks),
		Tasks:      map[string]int{},
		Resources:  map[string]map[string]float64{},
	}
	for _, r := range summaryResources {
		sum.Resources[r] = map[string]float64{"total": 0, "used": 0, "offered": 0}
	}
	for _, a := range s.Agents {
		if a.Active {
			sum.Agents["active"]++
		} else {
			sum.Agents["inactive"]++
		}
		for _, r := range summaryResources {
			sum.Resources[r]["total"] += scalar(a.Resources, r)
			sum.Resources[r]["used"] += scalar(a.Used, r)
			sum.Resources[r]["offered"] += scalar(a.Offered, r)
		}
	}
	for _, t := range s.tasks(true) {
		sum.Tasks[t.State]++
	}
	return sum
}

func writeStatus(w io.Writer, s *masterState) {
	sum := statusSummary(s)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Leader\t%s\n", orDash(s.Leader))
	fmt.Fprintf(tw, "Version\t%s\n", orDash(s.Version))
	fmt.Fprintf(tw, "Agents\t%d active, %d inactive\n", sum.Agents["active"], sum.Agents["inactive"])
	fmt.Fprintf(tw, "Frameworks\t%d active\n", sum.Frameworks)
	fmt.Fprintf(tw, "Tasks\t%s\n", taskCounts(sum.Tasks))
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "RESOURCE\tTOTAL\tUSED\tOFFERED\tIDLE\t\n")
	for _, r := range summaryResources {
		v := sum.Resources[r]
		idle := v["total"] - v["used"] - v["offered"]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r, quantity(r, v["total"]), quantity(r, v["used"]), quantity(r, v["offered"]), quantity(r, idle))
	}
	tw.Flush()
}

// taskCounts renders "2 TASK_RUNNING, 1 TASK_FINISHED" in a stable order.
func taskCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], strings.TrimPrefix(k, "TASK_"))
	}
	return strings.Join(parts, ", ")
}

func runAgents(ctx context.Context, env Env, args []string) error {
	fs, o := newFlags(env, "agents")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	s, err := fetchMasterState(ctx, o)
	if err != nil {
		return err
	}
	agents := append([]agentJSON(nil), s.Agents...)
	sort.Slice(agents, func(i, j int) bool { return agents[i].Hostname+agents[i].ID < agents[j].Hostname+agents[j].ID })
	if o.json {
		return printJSON(env.Stdout, agents)
	}
	tasks := map[string]int{}
	for _, t := range s.tasks(false) {
		tasks[t.AgentID]++
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHOSTNAME\tACTIVE\tCPUS\tMEM\tDISK\tTASKS")
	for _, a := range agents {
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\t%s\t%d\n", a.ID, a.Hostname, a.Active,
			usedOfTotal("cpus", a), usedOfTotal("mem", a), usedOfTotal("disk", a), tasks[a.ID])
	}
	return tw.Flush()
}

func usedOfTotal(r string, a agentJSON) string {
	return quantity(r, scalar(a.Used, r)) + "/" + quantity(r, scalar(a.Resources, r))
}

func runFrameworks(ctx context.Context, env Env, args []string) error {
	fs, o := newFlags(env, "frameworks")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	s, err := fetchMasterState(ctx, o)
	if err != nil {
		return err
	}
	fws := append([]frameworkJSON(nil), s.Frameworks...)
	sort.Slice(fws, func(i, j int) bool { return fws[i].Name+fws[i].ID < fws[j].Name+fws[j].ID })
	if o.json {
		return printJSON(env.Stdout, fws)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLES\tACTIVE\tTASKS\tCPUS\tMEM")
	for _, f := range fws {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%d\t%s\t%s\n", f.ID, f.Name, strings.Join(f.Roles, ","), f.Active,
			len(f.Tasks), quantity("cpus", scalar(f.Used, "cpus")), quantity("mem", scalar(f.Used, "mem")))
	}
	return tw.Flush()
}

func runTasks(ctx context.Context, env Env, args []string) error {
	fs, o := newFlags(env, "tasks")
	all := fs.Bool("all", false, "include finished tasks")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	s, err := fetchMasterState(ctx, o)
	if err != nil {
		return err
	}
	tasks := s.tasks(*all)
	if o.json {
		if tasks == nil {
			tasks = []taskJSON{}
		}
		return printJSON(env.Stdout, tasks)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFRAMEWORK\tSTATE\tHOST\tCPUS\tMEM")
	for _, t := range tasks {
		host := t.AgentID
		if a, ok := s.agent(t.AgentID); ok {
			host = a.Hostname
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(s.frameworkName(t.FrameworkID)), t.State, host,
			quantity("cpus", scalar(t.Resources, "cpus")), quantity("mem", scalar(t.Resources, "mem")))
	}
	return tw.Flush()
}

func scalar(m map[string]any, name string) float64 {
	if v, ok := m[name].(float64); ok {
		return v
	}
	return 0
}

// quantity renders a resource amount: memory and disk in MB/GB as Mesos
// reports them in MB, CPUs with one decimal.
func quantity(name string, v float64) string {
	switch name {
	case "mem", "disk":
		if v >= 1024 {
			return trimZeros(fmt.Sprintf("%.1f", v/1024)) + "GB"
		}
		return trimZeros(fmt.Sprintf("%.0f", v)) + "MB"
	case "gpus":
		return fmt.Sprintf("%.0f", v)
	}
	return trimZeros(fmt.Sprintf("%.2f", v))
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
