// Command agora is the single Agora binary: `agora master`, `agora agent`
// and `agora dev` (a master and an agent in one process). Flags follow
// Mesos's names so operators' habits carry over.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
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
		{"dev", "run a master and an agent in one process on 127.0.0.1", runDev},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range commands() {
		if c.name == os.Args[1] {
			if err := c.run(ctx, os.Args[2:]); err != nil {
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
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'agora <command> --help' for the flags of a command.")
}
