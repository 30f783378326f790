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
