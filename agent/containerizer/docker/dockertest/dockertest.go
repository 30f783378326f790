// Package dockertest gives tests a Docker engine and an image to run on it
// without a registry: Busybox builds agora-test/busybox:latest from the
// host's static busybox (Debian's busybox-static) with archive/tar and
// imports it, when the engine does not have it yet.
//
// A missing engine or busybox skips the calling test, except under
// CI=true, where the machine is expected to have both (scripts/ensure-deps.sh
// installs and starts them) and their absence fails the test.
//
// It is a library for tests (it imports testing); nothing else uses it.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// Image is the test image: busybox and its applets in /bin, a passwd with
// root and nobody, /tmp, and no entrypoint, command or working directory.
const Image = "agora-test/busybox:latest"

// busyboxPaths are where Debian's busybox-static installs the binary.
var busyboxPaths = []string{"/bin/busybox", "/usr/bin/busybox"}

// unavailable skips t, or fails it under CI=true.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: scripts/ensure-deps.sh should have provided it)", msg)
	}
	t.Skip(msg)
}

// Client returns a client of the engine at DOCKER_HOST (default
// /var/run/docker.sock) that answers a ping, closed when the test ends.
func Client(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ping, err := cli.Ping(ctx)
	if err != nil {
		unavailable(t, "no Docker engine answers: %v", err)
	}
	// Negotiate now: the client's lazy negotiation races with concurrent
	// first calls.
	cli.NegotiateAPIVersionPing(ping)
	return cli
}

// importMu serializes imports within one test binary; concurrent test
// binaries may both import, which only retags the same content.
var importMu sync.Mutex

// Busybox makes sure Image is on the engine and returns its name.
func Busybox(t testing.TB, cli *client.Client) string {
	t.Helper()
	importMu.Lock()
	defer importMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cli.ImageInspect(ctx, Image); err == nil {
		return Image
	}
	bin, err := staticBusybox()
	if err != nil {
		unavailable(t, "cannot build the test image: %v", err)
	}
	rootfs, err := BusyboxTar(bin)
	if err != nil {
		t.Fatalf("building the test image: %v", err)
	}
	rc, err := cli.ImageImport(ctx, image.ImportSource{Source: rootfs, SourceName: "-"}, Image, image.ImportOptions{})
	if err != nil {
		t.Fatalf("importing %s: %v", Image, err)
	}
	defer rc.Close()
	if err := streamError(rc); err != nil {
		t.Fatalf("importing %s: %v", Image, err)
	}
	return Image
}

// staticBusybox finds a busybox binary with no dynamic loader: a dynamic
// one would not run in an image without the host's libraries.
func staticBusybox() (string, error) {
	for _, p := range busyboxPaths {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := true
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				static = false
			}
		}
		f.Close()
		if static {
			return p, nil
		}
	}
	return "", errors.New("no static busybox (apt-get install busybox-static)")
}

// BusyboxTar returns the root filesystem of Image as a tar stream, with
// bin as its busybox.
func BusyboxTar(bin string) (io.Reader, error) {
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", bin, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: now})
	}
	file := func(name string, mode int64, body []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body)), ModTime: now}); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	errs := []error{
		dir("bin", 0o755), dir("etc", 0o755), dir("root", 0o700), dir("tmp", 0o1777),
		file("bin/busybox", 0o755, exe),
		file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")),
		file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")),
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		errs = append(errs, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox", Mode: 0o777, ModTime: now}))
	}
	errs = append(errs, tw.Close())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &buf, nil
}

// streamError reads a JSON message stream of the engine (import, pull) to
// its end and returns the error it reports, if any.
func streamError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}
