package integration

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agoraproject/agora/internal/pki"
)

// The security suite runs the default, production path: a master with
// TLS (its CA created on first start), an agent that joins with the
// printed token, Mesos credentials and ACLs. Each case is in
// docs/security.md's matrix with what it proves.

const secCredentials = `{"credentials": [
  {"principal": "alice", "secret": "alice-pw"},
  {"principal": "bob", "secret": "bob-pw"},
  {"principal": "ops", "secret": "ops-pw", "token": "ops-bearer-token"},
  {"principal": "agent-node1", "secret": "agent-pw"}
]}`

// secSecrets must appear in no log.
var secSecrets = []string{"alice-pw", "bob-pw", "ops-pw", "ops-bearer-token", "agent-pw"}

const secACLs = `{
  "permissive": true,
  "register_frameworks": [
    {"principals": {"values": ["alice"]}, "roles": {"values": ["web"]}},
    {"principals": {"type": "NONE"}, "roles": {"values": ["web"]}}
  ],
  "run_tasks": [
    {"principals": {"values": ["bob"]}, "users": {"values": ["nobody"]}},
    {"principals": {"values": ["bob"]}, "users": {"type": "NONE"}}
  ],
  "teardown_frameworks": [
    {"principals": {"values": ["ops"]}, "framework_principals": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "framework_principals": {"type": "NONE"}}
  ],
  "access_sandboxes": [
    {"principals": {"values": ["alice"]}, "users": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}
  ],
  "update_weights": [
    {"principals": {"values": ["ops"]}, "roles": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}}
  ],
  "view_frameworks": [
    {"principals": {"values": ["bob"]}, "users": {"values": ["nobody"]}},
    {"principals": {"values": ["bob"]}, "users": {"type": "NONE"}}
  ],
  "view_tasks": [
    {"principals": {"values": ["bob"]}, "users": {"values": ["nobody"]}},
    {"principals": {"values": ["bob"]}, "users": {"type": "NONE"}}
  ],
  "mark_agents_gone": [
    {"principals": {"values": ["ops"]}, "agents": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "agents": {"type": "NONE"}}
  ]
}`

// secCluster is a TLS master and one joined agent.
type secCluster struct {
	t       *testing.T
	master  *proc
	url     string // https://127.0.0.1:port
	addr    string
	workDir string
	ca      *x509.Certificate
	pool    *x509.CertPool
	client  *http.Client // trusts the cluster CA
	stream  *http.Client // the same, without a timeout
	agentID string
	agentAt string // the agent's host:port
	// agentCred is the agents' --credential file; agentDir and agent
	// the joined agent's work dir and process.
	agentCred string
	agentDir  string
	agent     *proc
}

type auth struct{ principal, secret, bearer string }

var (
	alice = auth{principal: "alice", secret: "alice-pw"}
	bob   = auth{principal: "bob", secret: "bob-pw"}
	ops   = auth{bearer: "ops-bearer-token"}
	nobdy = auth{}
)

func startSecureCluster(t *testing.T) *secCluster {
	t.Helper()
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.json")
	if err := os.WriteFile(creds, []byte(secCredentials), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	c := &secCluster{t: t, workDir: filepath.Join(dir, "master"), addr: "127.0.0.1:" + strconv.Itoa(port)}
	c.url = "https://" + c.addr
	c.agentCred = filepath.Join(dir, "agent-credential.json")
	if err := os.WriteFile(c.agentCred, []byte(`{"principal": "agent-node1", "secret": "agent-pw"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.master = startProc(t, "secure master", agoraBin, "master", "--ip=127.0.0.1", "--advertise_ip=127.0.0.1",
		"--port="+strconv.Itoa(port), "--work_dir="+c.workDir, "--hostname=localhost",
		"--allocation_interval=100ms", "--credentials="+creds, "--acls="+secACLs,
		"--authenticate_frameworks", "--authenticate_http_readonly", "--authenticate_http_readwrite", "--authenticate_agents",
		"--allow_root_tasks", // alice's framework runs as root, the tests' user
		"--max_request_body_bytes=65536", "--http_header_timeout=1secs")
	eventually(t, 15*time.Second, "the master's CA", func() error {
		if c.master.exited() {
			t.Fatalf("master exited:\n%s", c.master.out.String())
		}
		data, err := os.ReadFile(filepath.Join(c.workDir, "ca.crt"))
		if err != nil {
			return err
		}
		c.ca, err = pki.ParseCert(data)
		return err
	})
	c.pool = x509.NewCertPool()
	c.pool.AddCert(c.ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.pool}}
	c.client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	c.stream = &http.Client{Transport: tr}
	waitHealthyWith(t, c.master, c.client, c.url)
	return c
}

func waitHealthyWith(t *testing.T, p *proc, client *http.Client, base string) {
	t.Helper()
	eventually(t, 15*time.Second, p.name+" healthy", func() error {
		if p.exited() {
			t.Fatalf("%s exited before becoming healthy:\n%s", p.name, p.out.String())
		}
		resp, err := client.Get(base + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return io.ErrUnexpectedEOF
		}
		return nil
	})
}

func (c *secCluster) joinToken() string {
	data, err := os.ReadFile(filepath.Join(c.workDir, "join_token"))
	if err != nil {
		c.t.Fatalf("the master wrote no join token: %v", err)
	}
	return strings.TrimSpace(string(data))
}

func agentArgs(c *secCluster, workDir string, port int, extra ...string) []string {
	return append([]string{"agent", "--master=" + c.addr, "--work_dir=" + workDir,
		"--resources=" + agentResources, "--ip=127.0.0.1", "--advertise_ip=127.0.0.1",
		"--port=" + strconv.Itoa(port), "--hostname=node1", "--kill_grace_period=1secs", "--credential=" + c.agentCred}, extra...)
}

// startJoinedAgent starts an agent with the master's printed token and
// waits until the master lists it.
func (c *secCluster) startJoinedAgent() {
	t := c.t
	port := freePort(t)
	c.agentDir = t.TempDir()
	p := startProc(t, "secure agent", agoraBin, agentArgs(c, c.agentDir, port, "--join_token="+c.joinToken())...)
	c.agent = p
	c.agentAt = "127.0.0.1:" + strconv.Itoa(port)
	waitHealthyWith(t, p, c.client, "https://"+c.agentAt)
	eventually(t, 10*time.Second, "agent registered", func() error {
		var s clusterState
		if err := c.getJSON(ops, "/master/state", &s); err != nil {
			return err
		}
		if len(s.Slaves) != 1 || !s.Slaves[0].Active {
			return io.ErrUnexpectedEOF
		}
		c.agentID = s.Slaves[0].ID
		return nil
	})
}

// do sends a request as a; body is JSON-encoded unless it is a []byte.
func (c *secCluster) do(a auth, method, path string, body any, header ...string) (int, string, http.Header) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	a.set(req)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

func (a auth) set(req *http.Request) {
	switch {
	case a.bearer != "":
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	case a.principal != "":
		req.SetBasicAuth(a.principal, a.secret)
	}
}

func (c *secCluster) getJSON(a auth, path string, v any) error {
	status, body, _ := c.do(a, http.MethodGet, path, nil)
	if status != http.StatusOK {
		return &statusErr{status, body}
	}
	return json.Unmarshal([]byte(body), v)
}

type statusErr struct {
	status int
	body   string
}

func (e *statusErr) Error() string { return strconv.Itoa(e.status) + ": " + e.body }

// subscribeAs opens a framework's event stream as a; it returns nil and
// the refusal when the master does not answer 200.
func (c *secCluster) subscribeAs(a auth, info map[string]any) (*scheduler, int, string) {
	c.t.Helper()
	data, _ := json.Marshal(map[string]any{"type": "SUBSCRIBE", "subscribe": map[string]any{"framework_info": info}})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/api/v1/scheduler", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	a.set(req)
	resp, err := c.stream.Do(req)
	if err != nil {
		c.t.Fatalf("SUBSCRIBE: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return nil, resp.StatusCode, string(b)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	s := &scheduler{t: c.t, url: c.url, streamID: resp.Header.Get("Mesos-Stream-Id"), events: make(chan event, 64)}
	go s.read(resp.Body)
	ev := s.await(10*time.Second, "SUBSCRIBED", func(e event) bool { return e.Type == "SUBSCRIBED" })
	s.subscribed, s.frameworkID = ev, ev.Subscribed.FrameworkID.Value
	return s, http.StatusOK, ""
}

// callAs sends a scheduler call on s's stream as a, for framework fid.
func (c *secCluster) callAs(a auth, s *scheduler, fid string, body map[string]any) (int, string) {
	c.t.Helper()
	body["framework_id"] = id{fid}
	status, text, _ := c.do(a, http.MethodPost, "/api/v1/scheduler", body, "Mesos-Stream-Id", s.streamID, "Accept", "application/json")
	return status, text
}

func launchCall(o offer, taskID, user string) map[string]any {
	cmd := map[string]any{"shell": true, "value": "echo secure; sleep 60"}
	if user != "" {
		cmd["user"] = user
	}
	task := map[string]any{"name": taskID, "task_id": id{taskID}, "agent_id": o.AgentID,
		"resources": []any{map[string]any{"name": "cpus", "type": "SCALAR", "scalar": map[string]any{"value": 0.1}},
			map[string]any{"name": "mem", "type": "SCALAR", "scalar": map[string]any{"value": 16}}},
		"command": cmd}
	return map[string]any{"type": "ACCEPT", "accept": map[string]any{"offer_ids": []id{o.ID},
		"operations": []any{map[string]any{"type": "LAUNCH", "launch": map[string]any{"task_infos": []any{task}}}}}}
}

// awaitTask waits for an update of taskID in want, acknowledging as a.
func (c *secCluster) awaitTask(a auth, s *scheduler, taskID, want string) taskStatus {
	c.t.Helper()
	for {
		ev := s.await(15*time.Second, taskID+" "+want, func(e event) bool {
			return e.Type == "UPDATE" && e.Update.Status.TaskID.Value == taskID
		})
		st := ev.Update.Status
		if st.UUID != "" {
			c.callAs(a, s, s.frameworkID, map[string]any{"type": "ACKNOWLEDGE", "acknowledge": map[string]any{
				"agent_id": st.AgentID, "task_id": st.TaskID, "uuid": st.UUID}})
		}
		if st.State == want {
			return st
		}
	}
}

func wantStatus(t *testing.T, what string, got int, body string, want int, contains string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %d, want %d (body %q)", what, got, want, body)
		return
	}
	if contains != "" && !strings.Contains(body, contains) {
		t.Errorf("%s: body %q does not say %q", what, body, contains)
	}
}

func TestSecurity(t *testing.T) {
	c := startSecureCluster(t)
	c.startJoinedAgent()

	t.Run("plain HTTP is refused", func(t *testing.T) {
		resp, err := httpClient.Get("http://" + c.addr + "/master/state")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatalf("plain HTTP to a TLS master answered 200")
			}
		}
	})

	t.Run("authentication", func(t *testing.T) {
		status, body, h := c.do(nobdy, http.MethodGet, "/master/state", nil)
		wantStatus(t, "no credentials", status, body, http.StatusUnauthorized, "Authentication required")
		if !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("401 without a Basic challenge: %q", h.Get("WWW-Authenticate"))
		}
		status, body, _ = c.do(auth{principal: "alice", secret: "wrong"}, http.MethodGet, "/master/state", nil)
		wantStatus(t, "wrong secret", status, body, http.StatusUnauthorized, "invalid credentials")
		status, body, _ = c.do(auth{bearer: "guessed"}, http.MethodGet, "/health", nil)
		wantStatus(t, "public /health with a wrong token", status, body, http.StatusOK, "")
		status, body, _ = c.do(ops, http.MethodGet, "/master/state", nil)
		wantStatus(t, "bearer token", status, body, http.StatusOK, "")
		_, code, msg := c.subscribeAs(nobdy, map[string]any{"user": "root", "name": "anon"})
		wantStatus(t, "anonymous SUBSCRIBE", code, msg, http.StatusUnauthorized, "")
		status, body, _ = c.do(nobdy, http.MethodPost, "/api/v1", map[string]any{"type": "GET_HEALTH"})
		wantStatus(t, "anonymous operator call", status, body, http.StatusUnauthorized, "")
	})

	// alice is the legitimate framework whose task must run through all
	// of the attacks below.
	a, code, msg := c.subscribeAs(alice, map[string]any{"user": "root", "name": "alice-fw", "role": "web"})
	if a == nil {
		t.Fatalf("alice's SUBSCRIBE: %d %s", code, msg)
	}
	aliceOffer := a.awaitOffer(c.agentID)

	t.Run("register_frameworks", func(t *testing.T) {
		_, code, msg := c.subscribeAs(bob, map[string]any{"user": "nobody", "name": "bob-web", "role": "web"})
		wantStatus(t, "bob in role web", code, msg, http.StatusForbidden, `register_frameworks denied by register_frameworks[1] for principal "bob" on roles "web"`)
		_, code, msg = c.subscribeAs(bob, map[string]any{"user": "nobody", "name": "bob-as-alice", "principal": "alice"})
		wantStatus(t, "bob claiming alice's principal", code, msg, http.StatusForbidden, "does not match the authenticated principal")
		_, code, msg = c.subscribeAs(bob, map[string]any{"user": "nobody", "name": "bob-resumes-alice", "id": id{a.frameworkID}})
		wantStatus(t, "bob resubscribing alice's framework", code, msg, http.StatusForbidden, "belongs to principal")
	})

	b, code, msg := c.subscribeAs(bob, map[string]any{"user": "nobody", "name": "bob-fw"})
	if b == nil {
		t.Fatalf("bob's SUBSCRIBE in role *: %d %s", code, msg)
	}

	t.Run("frameworks stay apart", func(t *testing.T) {
		status, body := c.callAs(bob, b, b.frameworkID, launchCall(aliceOffer, "bob-as-root", "root"))
		wantStatus(t, "bob launching as root", status, body, http.StatusForbidden, "run_tasks denied")
		status, body = c.callAs(bob, b, a.frameworkID, map[string]any{"type": "KILL", "kill": map[string]any{"task_id": id{"alice-task"}, "agent_id": id{c.agentID}}})
		wantStatus(t, "bob killing alice's task", status, body, http.StatusForbidden, `belongs to principal "alice"`)
		status, body = c.callAs(bob, b, a.frameworkID, launchCall(aliceOffer, "bob-steals", "nobody"))
		wantStatus(t, "bob accepting as alice", status, body, http.StatusForbidden, `belongs to principal "alice"`)
		status, body = c.callAs(bob, b, b.frameworkID, launchCall(aliceOffer, "bob-steals", "nobody"))
		wantStatus(t, "bob accepting alice's offer as himself", status, body, http.StatusAccepted, "")
		st := c.awaitTask(bob, b, "bob-steals", "TASK_LOST")
		if !strings.Contains(st.Message, "belongs to another framework") {
			t.Errorf("bob's stolen offer: %q, want it to say the offer belongs to another framework", st.Message)
		}
	})

	// alice's offer survived bob's attempts: her task runs on it.
	status, body := c.callAs(alice, a, a.frameworkID, launchCall(aliceOffer, "alice-task", ""))
	wantStatus(t, "alice's ACCEPT", status, body, http.StatusAccepted, "")
	c.awaitTask(alice, a, "alice-task", "TASK_RUNNING")

	t.Run("view ACLs", func(t *testing.T) {
		// bob may view only what runs as nobody: alice's framework and
		// task are absent from his reads; ops sees both.
		for _, read := range []struct {
			method, path string
			body         any
		}{{http.MethodGet, "/master/state", nil}, {http.MethodGet, "/master/state-summary", nil},
			{http.MethodPost, "/api/v1", map[string]any{"type": "GET_STATE"}}, {http.MethodPost, "/api/v1", map[string]any{"type": "GET_FRAMEWORKS"}}} {
			status, body, _ := c.do(bob, read.method, read.path, read.body)
			wantStatus(t, "bob "+read.path, status, body, http.StatusOK, b.frameworkID)
			if strings.Contains(body, a.frameworkID) || strings.Contains(body, "alice-task") {
				t.Errorf("bob's %s %s shows alice's framework or task", read.method, read.path)
			}
			status, body, _ = c.do(ops, read.method, read.path, read.body)
			wantStatus(t, "ops "+read.path, status, body, http.StatusOK, a.frameworkID)
		}
	})

	t.Run("agent credentials", func(t *testing.T) {
		// With --authenticate_agents the joined agent registered with its
		// credential; its certificate alone, or a wrong secret, is 401.
		pair, err := tls.LoadX509KeyPair(filepath.Join(c.agentDir, "tls", "agent.crt"), filepath.Join(c.agentDir, "tls", "agent.key"))
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: c.pool, Certificates: []tls.Certificate{pair}}}}
		for name, secret := range map[string]string{"no credential": "", "a wrong secret": "guess"} {
			req, _ := http.NewRequest(http.MethodPost, c.url+"/agora/v1/agent", strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if secret != "" {
				req.SetBasicAuth("agent-node1", secret)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("agent protocol with a certificate and %s: %d, want 401", name, resp.StatusCode)
			}
		}
	})

	t.Run("files API", func(t *testing.T) {
		base := "/agents/" + c.agentID + "/files/browse?path="
		sandbox := "/frameworks/" + a.frameworkID + "/executors/alice-task/runs/latest"
		status, body, _ := c.do(bob, http.MethodGet, base+sandbox, nil)
		wantStatus(t, "bob reading alice's sandbox", status, body, http.StatusForbidden, "access_sandboxes denied")
		status, body, _ = c.do(alice, http.MethodGet, base+"/frameworks/"+a.frameworkID+"/../../../tls", nil)
		wantStatus(t, "path traversal", status, body, http.StatusBadRequest, "'..' is not allowed")
		eventually(t, 5*time.Second, "alice's stdout listed", func() error {
			status, body, _ := c.do(alice, http.MethodGet, base+sandbox, nil)
			if status != http.StatusOK || !strings.Contains(body, "stdout") {
				return &statusErr{status, body}
			}
			return nil
		})
		// The agent's own /files needs the master's certificate, so the
		// ACL above cannot be bypassed by asking the agent directly.
		resp, err := c.client.Get("https://" + c.agentAt + "/files/browse?path=/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("agent /files without the master's certificate: %d, want 403", resp.StatusCode)
		}
	})

	t.Run("operator ACLs", func(t *testing.T) {
		weights := map[string]any{"type": "UPDATE_WEIGHTS", "update_weights": map[string]any{"weight_infos": []any{map[string]any{"role": "web", "weight": 2.0}}}}
		status, body, _ := c.do(bob, http.MethodPost, "/api/v1", weights)
		wantStatus(t, "bob UPDATE_WEIGHTS", status, body, http.StatusForbidden, "update_weights denied")
		status, body, _ = c.do(ops, http.MethodPost, "/api/v1", weights)
		wantStatus(t, "ops UPDATE_WEIGHTS", status, body, http.StatusOK, "")
		status, body, _ = c.do(bob, http.MethodPost, "/api/v1", map[string]any{"type": "TEARDOWN", "teardown": map[string]any{"framework_id": id{a.frameworkID}}})
		wantStatus(t, "bob TEARDOWN of alice", status, body, http.StatusForbidden, `teardown_frameworks denied`)
		status, body, _ = c.do(bob, http.MethodPost, "/api/v1", map[string]any{"type": "MARK_AGENT_GONE", "mark_agent_gone": map[string]any{"agent_id": id{c.agentID}}})
		wantStatus(t, "bob MARK_AGENT_GONE", status, body, http.StatusForbidden, "mark_agents_gone denied")
	})

	t.Run("oversized body", func(t *testing.T) {
		big := append([]byte(`{"type":"SUBSCRIBE","x":"`), bytes.Repeat([]byte("a"), 70000)...)
		status, body, _ := c.do(alice, http.MethodPost, "/api/v1/scheduler", big)
		wantStatus(t, "70 kB call", status, body, http.StatusRequestEntityTooLarge, "")
	})

	t.Run("slowloris", func(t *testing.T) {
		// A client that never finishes the handshake, and one that never
		// finishes its headers, are cut off by --http_header_timeout (1s).
		raw, err := net.Dial("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		conn := tls.Client(mustDial(t, c.addr), &tls.Config{RootCAs: c.pool, ServerName: "127.0.0.1"})
		defer conn.Close()
		if err := conn.Handshake(); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte("GET /health HTTP/1.1\r\nHost: x\r\n")); err != nil {
			t.Fatal(err)
		}
		for name, cn := range map[string]net.Conn{"silent TCP": raw, "slow headers": conn} {
			start := time.Now()
			_ = cn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := io.ReadAll(cn)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("%s: still open after 5s", name)
			} else if d := time.Since(start); d > 4*time.Second {
				t.Errorf("%s: closed after %v", name, d)
			}
		}
	})

	t.Run("agents without a valid certificate", func(t *testing.T) {
		// The agent protocol without a client certificate.
		status, body, _ := c.do(nobdy, http.MethodPost, "/agora/v1/agent", []byte("{}"))
		wantStatus(t, "agent protocol without a certificate", status, body, http.StatusForbidden, "requires an agora agent certificate")

		// A wrong token (right CA, unknown secret) and a revoked one.
		fake, err := pki.NewToken(pki.Fingerprint(c.ca), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		out := runAgentExpectingFailure(t, agentArgs(c, t.TempDir(), freePort(t), "--join_token="+fake.Encode()))
		if !strings.Contains(out, "join token is unknown, revoked or expired") {
			t.Errorf("wrong token: agent said %q", out)
		}
		revoked := agoraOutput(t, "token", "create", "--work_dir", c.workDir)
		list := agoraOutput(t, "token", "list", "--work_dir", c.workDir)
		tok, _ := pki.ParseToken(revoked)
		if !strings.Contains(list, tok.ID()) {
			t.Fatalf("token list does not show the new token %s:\n%s", tok.ID(), list)
		}
		agoraOutput(t, "token", "revoke", "--work_dir", c.workDir, tok.ID())
		out = runAgentExpectingFailure(t, agentArgs(c, t.TempDir(), freePort(t), "--join_token="+revoked))
		if !strings.Contains(out, "join token is unknown, revoked or expired") {
			t.Errorf("revoked token: agent said %q", out)
		}
		// A token naming another cluster's CA is refused by the agent
		// before it sends the secret.
		other, _ := pki.NewToken(strings.Repeat("ab", 32), rand.Reader)
		out = runAgentExpectingFailure(t, agentArgs(c, t.TempDir(), freePort(t), "--join_token="+other.Encode()))
		if !strings.Contains(out, "wrong cluster or an impostor") {
			t.Errorf("other cluster's token: agent said %q", out)
		}

		// An expired certificate of this cluster: the agent refuses to use
		// it, and the master refuses it in the handshake.
		certPEM, keyPEM := expiredAgentCert(t, c.workDir)
		dir := t.TempDir()
		tlsDir := filepath.Join(dir, "tls")
		if err := pki.SaveKeyPair(tlsDir, "agent", certPEM, keyPEM); err != nil {
			t.Fatal(err)
		}
		caPEM, _ := os.ReadFile(filepath.Join(c.workDir, "ca.crt"))
		_ = os.WriteFile(filepath.Join(tlsDir, "ca.crt"), caPEM, 0o644)
		out = runAgentExpectingFailure(t, agentArgs(c, dir, freePort(t)))
		if !strings.Contains(out, "expired") || !strings.Contains(out, "join again") {
			t.Errorf("expired certificate: agent said %q", out)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		withExpired := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: c.pool, Certificates: []tls.Certificate{pair}}}}
		if resp, err := withExpired.Post(c.url+"/agora/v1/agent", "application/json", strings.NewReader("{}")); err == nil {
			resp.Body.Close()
			t.Errorf("expired client certificate: handshake succeeded, status %d", resp.StatusCode)
		}
	})

	// Everyone else was served throughout: alice's task still runs.
	var s struct {
		Frameworks []struct {
			ID    string `json:"id"`
			Tasks []struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"tasks"`
		} `json:"frameworks"`
	}
	if err := c.getJSON(ops, "/master/state", &s); err != nil {
		t.Fatal(err)
	}
	running := false
	for _, f := range s.Frameworks {
		for _, tk := range f.Tasks {
			running = running || (f.ID == a.frameworkID && tk.ID == "alice-task" && tk.State == "TASK_RUNNING")
		}
	}
	if !running {
		t.Errorf("alice's task is not running at the end: %+v", s.Frameworks)
	}

	// No secret of the credentials files reached a log.
	for _, p := range []*proc{c.master, c.agent} {
		out := p.out.String()
		for _, secret := range secSecrets {
			if strings.Contains(out, secret) {
				t.Errorf("%s's log shows the secret %q", p.name, secret)
			}
		}
	}
}

func mustDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runAgentExpectingFailure runs an agent that must exit with an error
// within 15 s, and returns its output.
func runAgentExpectingFailure(t *testing.T, args []string) string {
	t.Helper()
	cmd := exec.Command(agoraBin, args...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("agent %v did not exit:\n%s", args, out)
	}
	if err == nil {
		t.Fatalf("agent %v exited 0:\n%s", args, out)
	}
	return string(out)
}

func agoraOutput(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(agoraBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("agora %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// expiredAgentCert issues, with the cluster CA, an agent certificate
// that expired an hour ago.
func expiredAgentCert(t *testing.T, masterDir string) (certPEM, keyPEM []byte) {
	t.Helper()
	ca, err := pki.LoadCA(filepath.Join(masterDir, "ca.crt"), filepath.Join(masterDir, "ca.key"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-2 * time.Hour)
	certPEM, keyPEM, err = ca.IssueKeyPair(pki.Identity{Role: pki.RoleAgent, Name: "node9"}, []string{"127.0.0.1"}, past, time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM
}
