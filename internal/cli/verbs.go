package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
)

// Env is what the commands read and write: injected so tests capture output.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// OSEnv is the process's own standard streams and environment.
func OSEnv() Env { return Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv} }

// Verb is one top-level command of the CLI.
type Verb struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, args []string) error
}

// Verbs lists the CLI commands, bound to env.
func Verbs(env Env) []Verb {
	return []Verb{
		{"status", "show the cluster: leader, agents, frameworks, resources, tasks", func(ctx context.Context, a []string) error { return runStatus(ctx, env, a) }},
		{"agents", "list agents", func(ctx context.Context, a []string) error { return runAgents(ctx, env, a) }},
		{"frameworks", "list frameworks", func(ctx context.Context, a []string) error { return runFrameworks(ctx, env, a) }},
		{"tasks", "list tasks (--all includes finished ones)", func(ctx context.Context, a []string) error { return runTasks(ctx, env, a) }},
		{"task", "task log TASK [--follow] [--stderr]: print a task's output", func(ctx context.Context, a []string) error { return runTask(ctx, env, a) }},
		{"apps", "Marathon apps: deploy FILE [--wait], list, scale ID N, restart ID, delete ID", func(ctx context.Context, a []string) error { return runApps(ctx, env, a) }},
		{"jobs", "Chronos jobs: add FILE, run NAME, list, history NAME", func(ctx context.Context, a []string) error { return runJobs(ctx, env, a) }},
	}
}

// options are the flags every command shares.
type options struct {
	master    string
	marathon  string
	chronos   string
	json      bool
	caFile    string // PEM bundle to trust for https endpoints
	principal string // HTTP Basic credentials, when the cluster requires them
	secret    string
}

// newFlags makes a flag set with the shared flags; defaults come from
// AGORA_MASTER, AGORA_MARATHON and AGORA_CHRONOS, then the dev cluster's
// ports on 127.0.0.1.
func newFlags(env Env, name string) (*flag.FlagSet, *options) {
	o := &options{}
	fs := flag.NewFlagSet("agora "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&o.master, "master", envOr(env, "AGORA_MASTER", "http://127.0.0.1:5050"), "master URL, or zk://host:port,.../path to find the leader (or $AGORA_MASTER)")
	fs.StringVar(&o.marathon, "marathon", envOr(env, "AGORA_MARATHON", "http://127.0.0.1:8080"), "Marathon URL (or $AGORA_MARATHON)")
	fs.StringVar(&o.chronos, "chronos", envOr(env, "AGORA_CHRONOS", "http://127.0.0.1:4400"), "Chronos URL (or $AGORA_CHRONOS)")
	fs.BoolVar(&o.json, "json", false, "print JSON for scripts instead of a table")
	fs.StringVar(&o.caFile, "ca_file", envOr(env, "AGORA_CA", ""), "CA certificate (PEM) to trust for https endpoints, e.g. the master's <work_dir>/ca.crt (or $AGORA_CA)")
	fs.StringVar(&o.principal, "principal", envOr(env, "AGORA_PRINCIPAL", ""), "principal for HTTP authentication (or $AGORA_PRINCIPAL; the secret comes from $AGORA_SECRET)")
	o.secret = envOr(env, "AGORA_SECRET", "")
	return fs, o
}

// transport trusts the configured CA (in addition to nothing else: a
// cluster CA is private) or, without one, the system roots.
func (o *options) transport() (http.RoundTripper, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.caFile == "" {
		return tr, nil
	}
	pem, err := os.ReadFile(o.caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca_file %s: no PEM certificate in it", o.caFile)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return tr, nil
}

func envOr(env Env, key, def string) string {
	if env.Getenv != nil {
		if v := env.Getenv(key); v != "" {
			return v
		}
	}
	return def
}

// parse parses flags that may come before or after positional arguments
// ("agora task log ID --follow"), returning the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func wantArgs(pos []string, n int, usage string) error {
	if len(pos) != n {
		return fmt.Errorf("usage: agora %s", usage)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
