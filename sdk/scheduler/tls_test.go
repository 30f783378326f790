package scheduler

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestSecurityConfig(t *testing.T) {
	var gotAuth string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
	}))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, certPEM(t, srv), 0o644); err != nil {
		t.Fatal(err)
	}
	fw := &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("n")}
	cfg := Config{Master: strings.TrimPrefix(srv.URL, "https://"), Framework: fw,
		TLS: &TLS{CAFile: caFile}, Credential: &Credential{Principal: "fw", Secret: "s3"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d := cfg.WithDefaults()
	if !strings.HasPrefix(d.Master, "https://") {
		t.Errorf("Master %q: want https:// added when TLS is set", d.Master)
	}
	resp, err := d.HTTPClient.Get(d.Master + "/x")
	if err != nil {
		t.Fatalf("GET over TLS trusting CAFile: %v", err)
	}
	resp.Body.Close()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth("fw", "s3")
	if gotAuth != req.Header.Get("Authorization") {
		t.Errorf("Authorization %q, want Basic fw:s3", gotAuth)
	}
	if s := (Credential{Principal: "fw", Secret: "s3"}).String(); strings.Contains(s, "s3") {
		t.Errorf("Credential.String() shows the secret: %s", s)
	}

	bad := cfg
	bad.TLS = &TLS{CAFile: filepath.Join(t.TempDir(), "missing.crt")}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "TLS.CAFile") {
		t.Errorf("missing CA file: %v, want an error naming TLS.CAFile", err)
	}
}

func certPEM(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("-----BEGIN CERTIFICATE-----\n")
	enc := base64.StdEncoding.EncodeToString(srv.Certificate().Raw)
	for len(enc) > 64 {
		b.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\n-----END CERTIFICATE-----\n")
	return []byte(b.String())
}
