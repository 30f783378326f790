package cli

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTLSAndCredentials reaches a master that serves HTTPS from a private
// CA and requires HTTP Basic credentials, as a production cluster does.
func TestTLSAndCredentials(t *testing.T) {
	state, err := os.ReadFile("testdata/master_state.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, s, ok := r.BasicAuth(); !ok || p != "ops" || s != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="agora"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		w.Write(state)
	}))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	hostPort := strings.TrimPrefix(srv.URL, "https://")

	runEnv := func(env map[string]string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		e := Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}
		for _, v := range Verbs(e) {
			if v.Name == "status" {
				err := v.Run(context.Background(), args)
				return out.String(), err
			}
		}
		t.Fatal("no status verb")
		return "", nil
	}

	creds := map[string]string{"AGORA_PRINCIPAL": "ops", "AGORA_SECRET": "s3cret"}
	// An address without a scheme is https once a CA is given.
	out, err := runEnv(creds, "--master", hostPort, "--ca_file", caFile)
	if err != nil || !strings.Contains(out, "1 active, 1 inactive") {
		t.Fatalf("status over TLS with credentials: %v\n%s", err, out)
	}
	creds["AGORA_CA"] = caFile
	if _, err := runEnv(creds, "--master", srv.URL); err != nil {
		t.Errorf("AGORA_CA from the environment: %v", err)
	}
	if _, err := runEnv(map[string]string{"AGORA_CA": caFile}, "--master", srv.URL); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without credentials: %v, want a 401", err)
	}
	if _, err := runEnv(creds, "--master", srv.URL, "--ca_file", ""); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: %v, want a certificate error", err)
	}
	if _, err := runEnv(creds, "--master", srv.URL, "--ca_file", "testdata/master_state.json"); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
}
