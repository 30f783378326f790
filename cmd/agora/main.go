// Command agora is the single Agora binary: `agora master`, `agora agent`
// and `agora dev` (a master and an agent in one process), the bundled
// frameworks, and the operator CLI (`agora status`, `agora tasks`, ...).
// Flags follow Mesos's names so operators' habits carry over.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/agoraproject/agora/internal/cli"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"master", "run a master", runMaster},
		{"agent", "run an agent", runAgent},
		{"marathon", "run the Marathon-compatible framework", runMarathon},
		{"chronos", "run the Chronos-compatible framework", runChronos},
		{"dev", "run a master and an agent in one process on 127.0.0.1", runDev},
		{"sim", "run simulated agents against a master", runSim},
		{"bench", "measure a master end to end with simulated agents", runBench},
		{"token", "create, list or revoke join tokens in a master's work_dir", runToken},
		{"version", "print the version", runVersion},
	}
}

// allCommands is the servers' commands followed by the operator CLI's.
func allCommands() []command {
	cmds := commands()
	for _, v := range cli.Verbs(cli.OSEnv()) {
		cmds = append(cmds, command{v.Name, v.Summary, v.Run})
	}
	return cmds
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range allCommands() {
		if c.name == os.Args[1] {
			if err := c.run(ctx, os.Args[2:]); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return // the flag set printed the usage
				}
				fmt.Fprintf(os.Stderr, "agora %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	if os.Args[1] != "help" && os.Args[1] != "-h" && os.Args[1] != "--help" {
		fmt.Fprintf(os.Stderr, "agora: unknown command %q\n\n", os.Args[1])
	}
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: agora <command> [flags]\n\ncommands:")
	for _, c := range allCommands() {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'agora <command> --help' for the flags of a command.")
}
