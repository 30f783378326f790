package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/agoraproject/agora/internal/duration"
	"github.com/agoraproject/agora/internal/pki"
)

// runToken manages join tokens in a master's work_dir: create (for
// agents, or with --role framework for the bundled frameworks), list and
// revoke. It runs on the master's host, where reading the work_dir is
// the permission; the master reads the tokens file at each join, so
// changes count at once.
func runToken(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: agora token create|list|revoke [--work_dir DIR] [--role agent|framework] [--ttl DURATION] [ID]")
	}
	verb := args[0]
	fs := flag.NewFlagSet("agora token "+verb, flag.ContinueOnError)
	workDir := fs.String("work_dir", "", "the master's --work_dir (required)")
	var ttl time.Duration
	fs.Var(duration.Value{D: &ttl}, "ttl", "create: the token expires after this long (default: never; revoke it instead)")
	role := fs.String("role", pki.RoleAgent, "create: the role of the certificates the token issues: agent (for `agora agent --join_token`) or framework (for `agora marathon`/`agora chronos --join_token`)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *workDir == "" {
		return errors.New("--work_dir is required: the master's work directory, holding ca.crt and join_tokens.json")
	}
	caPEM, err := os.ReadFile(filepath.Join(*workDir, pki.CACertFile))
	if err != nil {
		return fmt.Errorf("no cluster CA in --work_dir (start `agora master` with TLS there first): %w", err)
	}
	ca, err := pki.ParseCert(caPEM)
	if err != nil {
		return fmt.Errorf("%s: %w", pki.CACertFile, err)
	}
	store, err := pki.OpenTokenStore(filepath.Join(*workDir, pki.TokensFile), pki.Fingerprint(ca))
	if err != nil {
		return err
	}
	switch verb {
	case "create":
		if fs.NArg() != 0 {
			return errors.New("usage: agora token create --work_dir DIR [--role agent|framework] [--ttl DURATION]")
		}
		if err := pki.ValidJoinRole(*role); err != nil {
			return fmt.Errorf("--role: %w", err)
		}
		t, err := store.CreateFor(*role, time.Now(), ttl, rand.Reader)
		if err != nil {
			return err
		}
		fmt.Println(t.Encode())
		return nil
	case "list":
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tROLE\tCREATED\tEXPIRES\tSTATE")
		now := time.Now()
		for _, r := range store.List() {
			expires, state := "never", "valid"
			if !r.Expires.IsZero() {
				expires = r.Expires.UTC().Format(time.RFC3339)
				if !now.Before(r.Expires) {
					state = "expired"
				}
			}
			if r.Revoked {
				state = "revoked"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Issues(), r.Created.UTC().Format(time.RFC3339), expires, state)
		}
		return w.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("usage: agora token revoke --work_dir DIR ID (IDs from `agora token list`)")
		}
		if err := store.Revoke(fs.Arg(0)); err != nil {
			return err
		}
		fmt.Println("revoked", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("unknown token command %q: want create, list or revoke", verb)
}
