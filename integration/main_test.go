package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Paths of the binaries under test, set by TestMain.
var (
	agoraBin string
	batchBin string
	// The echo example: a custom executor and its framework.
	echoExecutorBin  string
	echoFrameworkBin string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "agora-integration-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	agoraBin = os.Getenv("AGORA_BIN")
	if agoraBin == "" {
		agoraBin = filepath.Join(dir, "agora")
		if err := goBuild(agoraBin, "./cmd/agora"); err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
			return 1
		}
	}
	batchBin = os.Getenv("AGORA_BATCH_BIN")
	if batchBin == "" {
		batchBin = filepath.Join(dir, "batch")
		if err := goBuild(batchBin, "./examples/batch"); err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
			return 1
		}
	}
	for _, b := range []struct {
		bin *string
		env string
		pkg string
	}{
		{&echoExecutorBin, "AGORA_ECHO_EXECUTOR_BIN", "./examples/echo/executor"},
		{&echoFrameworkBin, "AGORA_ECHO_FRAMEWORK_BIN", "./examples/echo/framework"},
	} {
		if *b.bin = os.Getenv(b.env); *b.bin == "" {
			*b.bin = filepath.Join(dir, filepath.Base(filepath.Dir(b.pkg))+"-"+filepath.Base(b.pkg))
			if err := goBuild(*b.bin, b.pkg); err != nil {
				fmt.Fprintln(os.Stderr, "integration:", err)
				return 1
			}
		}
	}
	return m.Run()
}

// goBuild builds a main package of this module (pkg relative to the module
// root, which is this package's parent directory) into out.
func goBuild(out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}
