package main

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/pki"
)

func TestTokenCreateRoles(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA(pki.Defaults(), time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, pki.CACertFile), ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, args := range [][]string{
		{"create", "--work_dir", dir},
		{"create", "--work_dir", dir, "--role", "framework"},
	} {
		if err := runToken(ctx, args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	if err := runToken(ctx, []string{"create", "--work_dir", dir, "--role", "master"}); err == nil || !strings.Contains(err.Error(), `--role: role "master"`) {
		t.Errorf("--role master: %v", err)
	}
	store, err := pki.OpenTokenStore(filepath.Join(dir, pki.TokensFile), ca.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, r := range store.List() {
		roles = append(roles, r.Issues())
	}
	if strings.Join(roles, ",") != "agent,framework" {
		t.Errorf("token roles %v, want agent,framework", roles)
	}
}
