package main

import (
	"flag"
	"io"
	"testing"
	"time"
)

func TestFetcherFlags(t *testing.T) {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	af := bindAgentFlags(fs)
	if af.cfg.FetcherStallTimeout != time.Minute {
		t.Errorf("default stall timeout %v", af.cfg.FetcherStallTimeout)
	}
	err := fs.Parse([]string{"--fetcher_cache_dir=/var/cache/agora", "--fetcher_cache_size=512MB", "--fetcher_stall_timeout=30secs"})
	if err != nil {
		t.Fatal(err)
	}
	if c := af.cfg; c.FetcherCacheDir != "/var/cache/agora" || c.FetcherCacheSize != 512<<20 || c.FetcherStallTimeout != 30*time.Second {
		t.Errorf("parsed %q %d %v", c.FetcherCacheDir, c.FetcherCacheSize, c.FetcherStallTimeout)
	}
	if err := bindAndParse("--fetcher_cache_size=lots"); err == nil {
		t.Error("a bad size was accepted")
	}
}

func bindAndParse(args ...string) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bindAgentFlags(fs)
	return fs.Parse(args)
}
