package main

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/agoraproject/agora/internal/store"
)

func TestChronosDefaultDiskZeroIsKept(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want float64
	}{
		{nil, 256},
		{[]string{"--default_disk=0"}, 0},
		{[]string{"--default_disk=64"}, 64},
	} {
		fs := flag.NewFlagSet("chronos", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := bindChronosFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := *f.cfg.WithDefaults().DefaultDisk; got != tc.want {
			t.Errorf("%v: default disk %v, want %v", tc.args, got, tc.want)
		}
	}
	fs := flag.NewFlagSet("chronos", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := bindChronosFlags(fs)
	if err := fs.Parse([]string{"--default_disk=-1"}); err != nil {
		t.Fatal(err)
	}
	f.cfg.Store = store.NewMemory()
	if err := f.cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--default_disk") {
		t.Errorf("--default_disk=-1: Validate() = %v, want an error naming the flag", err)
	}
}

func TestDevOrigins(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:5050": "http://127.0.0.1:5050,http://localhost:5050",
		"localhost:5051": "http://localhost:5051,http://127.0.0.1:5051",
	} {
		if got := devOrigins(addr); got != want {
			t.Errorf("devOrigins(%q) = %q, want %q", addr, got, want)
		}
	}
}
