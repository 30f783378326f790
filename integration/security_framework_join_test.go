package integration

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/pki"
	"github.com/agoraproject/agora/internal/zktest"
)

// The bundled frameworks take a certificate of the cluster CA with a
// framework join token: docs/security.md's matrix lists these cases.

// tlsMaster is a master with its defaults: TLS, CA created on first start.
type tlsMaster struct {
	proc    *proc
	addr    string
	workDir string
	pool    *x509.CertPool
	client  *http.Client // trusts the cluster CA
}

func startTLSMaster(t *testing.T) *tlsMaster {
	t.Helper()
	port := freePort(t)
	m := &tlsMaster{workDir: t.TempDir(), addr: "127.0.0.1:" + strconv.Itoa(port)}
	m.proc = startProc(t, "tls master", agoraBin, "master", "--ip=127.0.0.1", "--advertise_ip=127.0.0.1",
		"--port="+strconv.Itoa(port), "--work_dir="+m.workDir, "--hostname=localhost", "--allocation_interval=100ms")
	eventually(t, 15*time.Second, "the master's CA", func() error {
		if m.proc.exited() {
			t.Fatalf("master exited:\n%s", m.proc.out.String())
		}
		data, err := os.ReadFile(filepath.Join(m.workDir, pki.CACertFile))
		if err != nil {
			return err
		}
		ca, err := pki.ParseCert(data)
		if err != nil {
			return err
		}
		m.pool = x509.NewCertPool()
		m.pool.AddCert(ca)
		return nil
	})
	m.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: m.pool}}}
	waitHealthyWith(t, m.proc, m.client, "https://"+m.addr)
	return m
}

// agora runs a CLI verb and returns its standard output.
func agora(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(agoraBin, args...).Output()
	if err != nil {
		t.Fatalf("agora %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// frameworkClient reaches a framework's REST API trusting only the
// cluster CA and accepting only a framework's certificate.
func (m *tlsMaster) frameworkClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: pki.ClientConfig(m.pool, nil, pki.RoleFramework, nil)}}
}

func startJoinedMarathon(t *testing.T, m *tlsMaster, token string, extra ...string) (p *proc, base, workDir string) {
	t.Helper()
	port := freePort(t)
	workDir = t.TempDir()
	base = "https://127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{"marathon", "--master=" + m.addr, "--join_token=" + token, "--work_dir=" + workDir,
		"--http_address=127.0.0.1", "--http_port=" + strconv.Itoa(port), "--hostname=127.0.0.1"}, extra...)
	p = startProc(t, "marathon@"+strconv.Itoa(port), agoraBin, args...)
	client := m.frameworkClient()
	eventually(t, 15*time.Second, "marathon answering /ping over https", func() error {
		if p.exited() {
			t.Fatalf("marathon exited:\n%s", p.out.String())
		}
		resp, err := client.Get(base + "/ping")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("/ping: %s", resp.Status)
		}
		return nil
	})
	return p, base, workDir
}

func TestFrameworkJoinsClusterCA(t *testing.T) {
	m := startTLSMaster(t)
	token := agora(t, "token", "create", "--work_dir", m.workDir, "--role", "framework")
	if list := agora(t, "token", "list", "--work_dir", m.workDir); !strings.Contains(list, "framework") || !strings.Contains(list, "agent") {
		t.Errorf("token list:\n%s", list)
	}

	// The agent token the master printed does not issue a framework's
	// certificate.
	agentToken, err := os.ReadFile(filepath.Join(m.workDir, "join_token"))
	if err != nil {
		t.Fatal(err)
	}
	wrong := startProc(t, "marathon with an agent token", agoraBin, "marathon", "--master="+m.addr,
		"--join_token="+strings.TrimSpace(string(agentToken)), "--work_dir="+t.TempDir(),
		"--http_address=127.0.0.1", "--http_port="+strconv.Itoa(freePort(t)))
	eventually(t, 10*time.Second, "marathon with an agent token exiting", func() error {
		if !wrong.exited() {
			return fmt.Errorf("still running")
		}
		return nil
	})
	if out := wrong.out.String(); !strings.Contains(out, "403") || !strings.Contains(out, "issues agent certificates only, not framework") {
		t.Errorf("marathon with an agent token:\n%s", out)
	}

	p, base, workDir := startJoinedMarathon(t, m, token)
	client := m.frameworkClient()
	resp, err := client.Get(base + "/v2/info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	leaf := resp.TLS.PeerCertificates[0]
	if id, err := pki.IdentityOf(leaf); err != nil || id != (pki.Identity{Role: pki.RoleFramework, Name: "marathon"}) {
		t.Errorf("the REST API serves %q (%v), want framework:marathon", leaf.Subject.CommonName, err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: m.pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("the REST API's certificate does not chain to the master's ca.crt: %v", err)
	}
	if r, err := (&http.Client{Timeout: 5 * time.Second}).Get("http" + strings.TrimPrefix(base, "https") + "/ping"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Error("plain HTTP to marathon's TLS port got 200")
		}
	}

	// It registers with the master over TLS and names itself with https.
	eventually(t, 15*time.Second, "marathon registered", func() error {
		resp, err := client.Get(base + "/v2/info")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `"frameworkId":"`) || !strings.Contains(string(body), `"elected":true`) {
			return fmt.Errorf("not registered: %s", body)
		}
		if l := resp.Header.Get("X-Marathon-Leader"); !strings.HasPrefix(l, "https://") {
			return fmt.Errorf("X-Marathon-Leader %q", l)
		}
		return nil
	})
	eventually(t, 10*time.Second, "the master lists marathon", func() error {
		resp, err := m.client.Get("https://" + m.addr + "/master/state")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `"name":"marathon"`) {
			return fmt.Errorf("no marathon in the state")
		}
		return nil
	})

	// The framework's certificate does not open the agent protocol.
	dir := filepath.Join(workDir, "tls")
	certPEM, keyPEM, err := pki.LoadKeyPair(dir, "framework")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pki.NewCertStore(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	asFramework := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: pki.ClientConfig(m.pool, certs, pki.RoleMaster, nil)}}
	resp, err = asFramework.Post("https://"+m.addr+"/agora/v1/agent", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "requires an agora agent certificate: certificate is for framework:marathon") {
		t.Errorf("agent protocol with a framework certificate: %d %s", resp.StatusCode, body)
	}

	// Chronos joins with the same token, as framework:chronos.
	cport := strconv.Itoa(freePort(t))
	chronos := startProc(t, "chronos", agoraBin, "chronos", "--master="+m.addr, "--join_token="+token,
		"--work_dir="+t.TempDir(), "--ip=127.0.0.1", "--http_port="+cport, "--hostname=127.0.0.1")
	eventually(t, 15*time.Second, "chronos answering /ping over https", func() error {
		if chronos.exited() {
			t.Fatalf("chronos exited:\n%s", chronos.out.String())
		}
		resp, err := client.Get("https://127.0.0.1:" + cport + "/ping")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; cn != "framework:chronos" {
			t.Fatalf("chronos serves %q, want framework:chronos", cn)
		}
		return nil
	})

	// A restart needs no token: the certificate is kept in --work_dir/tls.
	p.stop()
	port := strings.TrimPrefix(base, "https://127.0.0.1:")
	again := startProc(t, "marathon restarted", agoraBin, "marathon", "--master="+m.addr, "--work_dir="+workDir,
		"--http_address=127.0.0.1", "--http_port="+port, "--hostname=127.0.0.1")
	eventually(t, 15*time.Second, "the restarted marathon over https", func() error {
		if again.exited() {
			t.Fatalf("marathon exited:\n%s", again.out.String())
		}
		resp, err := client.Get(base + "/ping")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

// A standby reaches its leader over https, verifying the leader's
// framework certificate against the cluster CA.
func TestFrameworkStandbyProxiesOverClusterCA(t *testing.T) {
	zk := zktest.Start(t)
	m := startTLSMaster(t)
	token := agora(t, "token", "create", "--work_dir", m.workDir, "--role", "framework")
	zkURL := "zk://" + zk.Addr + "/marathon-tls"
	_, b1, _ := startJoinedMarathon(t, m, token, "--zk="+zkURL, "--zk_session_timeout=2000")
	_, b2, _ := startJoinedMarathon(t, m, token, "--zk="+zkURL, "--zk_session_timeout=2000")
	client := m.frameworkClient()
	leaderOf := func(base string) (string, error) {
		resp, err := client.Get(base + "/v2/leader")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return "", fmt.Errorf("%s: %s", resp.Status, body)
		}
		return string(body), nil
	}
	var standby, leader string
	eventually(t, 20*time.Second, "a leader both replicas name", func() error {
		l1, err := leaderOf(b1)
		if err != nil {
			return err
		}
		l2, err := leaderOf(b2)
		if err != nil {
			return err
		}
		switch {
		case l1 != l2:
			return fmt.Errorf("replicas disagree: %s / %s", l1, l2)
		case strings.Contains(l1, strings.TrimPrefix(b1, "https://")):
			leader, standby = b1, b2
		case strings.Contains(l1, strings.TrimPrefix(b2, "https://")):
			leader, standby = b2, b1
		default:
			return fmt.Errorf("leader %s", l1)
		}
		return nil
	})
	eventually(t, 15*time.Second, "the standby forwarding to the leader", func() error {
		resp, err := client.Get(standby + "/v2/apps")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET /v2/apps on the standby: %s: %s", resp.Status, body)
		}
		if l := resp.Header.Get("X-Marathon-Leader"); l != leader {
			return fmt.Errorf("X-Marathon-Leader %q, want %q", l, leader)
		}
		return nil
	})
}
