package sdktest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
	"github.com/agoraproject/agora/proto/resources"
)

// Agent is one fake agent whose resources the master offers.
type Agent struct {
	ID        string // default "<master id>-S<n>"
	Hostname  string // default "agent<n>.test"
	Resources string // --resources syntax; default DefaultAgentResources
}

// DefaultAgentResources is what an Agent without Resources has.
const DefaultAgentResources = "cpus:4;mem:4096;disk:10240;ports:[31000-32000]"

// Options configures a fake master.
type Options struct {
	// Agents to offer; default one agent with DefaultAgentResources.
	Agents []Agent
	// AutoOffer makes the master offer free resources by itself, unless
	// suppressed: after SUBSCRIBED and after every call or task end, to
	// each agent without an outstanding offer and not filtered. A DECLINE,
	// or the unused rest of an ACCEPT, filters the agent (refuse_seconds 0
	// does not) until a task on it ends or the framework revives. Without
	// AutoOffer offers go out only when the test calls OfferAll.
	AutoOffer bool
	// HeartbeatInterval is announced in SUBSCRIBED (default 15s). The fake
	// sends HEARTBEAT only when the test calls Heartbeat.
	HeartbeatInterval time.Duration
	// TaskResult picks the state a launched task moves to after
	// TASK_RUNNING, and its message. A non-terminal state leaves the task
	// running until Kill or UpdateTask. Default: TASK_FINISHED. It is
	// called with the fake's lock held and must not call the Master.
	TaskResult func(task *mesos.TaskInfo) (mesos.TaskState, string)
	// Logger; default zap.NewNop().
	Logger *zap.Logger
}

// Validate checks the agents' resources.
func (o Options) Validate() error {
	var errs []error
	for i, a := range o.Agents {
		if a.Resources == "" {
			continue
		}
		if _, err := resources.Parse(a.Resources); err != nil {
			errs = append(errs, fmt.Errorf("sdktest: agent %d: %w", i, err))
		}
	}
	if o.HeartbeatInterval < 0 {
		errs = append(errs, errors.New("sdktest: negative HeartbeatInterval"))
	}
	return errors.Join(errs...)
}

// Master is the fake master. Its methods are safe for concurrent use.
type Master struct {
	opts Options
	log  *zap.Logger
	srv  *httptest.Server
	id   string

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every change, for Wait
	redirect    string
	unavailable bool
	failNext    map[schedpb.Call_Type]*failure
	requests    int
	redirects   int
	sub         *subscription
	fw          *mesos.FrameworkInfo // nil while no framework is registered
	fwSeq       int
	removed     map[string]bool // torn-down framework IDs
	suppressed  bool
	agents      []*agent
	offerSeq    int
	offers      map[string]*mesos.Offer
	tasks       map[string]*task
	unacked     []*mesos.TaskStatus
	subscribes  []*schedpb.Call
	calls       []*schedpb.Call
	acks        []*schedpb.Call_Acknowledge
}

type failure struct {
	code int
	body string
}

// New starts a fake master on a loopback port.
func New(opts Options) (*Master, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(opts.Agents) == 0 {
		opts.Agents = []Agent{{}}
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 15 * time.Second
	}
	if opts.TaskResult == nil {
		opts.TaskResult = func(*mesos.TaskInfo) (mesos.TaskState, string) { return mesos.TaskState_TASK_FINISHED, "" }
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	m := &Master{
		opts:     opts,
		log:      opts.Logger.Named("sdktest"),
		id:       newUUID(),
		changed:  make(chan struct{}),
		failNext: map[schedpb.Call_Type]*failure{},
		offers:   map[string]*mesos.Offer{},
		tasks:    map[string]*task{},
		removed:  map[string]bool{},
	}
	for i, a := range opts.Agents {
		if a.ID == "" {
			a.ID = fmt.Sprintf("%s-S%d", m.id, i)
		}
		if a.Hostname == "" {
			a.Hostname = fmt.Sprintf("agent%d.test", i)
		}
		if a.Resources == "" {
			a.Resources = DefaultAgentResources
		}
		total, _ := resources.Parse(a.Resources) // checked by Validate
		m.agents = append(m.agents, &agent{id: a.ID, hostname: a.Hostname, total: total})
	}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serveHTTP))
	return m, nil
}

// Addr is the master's "host:port".
func (m *Master) Addr() string { return m.srv.Listener.Addr().String() }

// URL is the master's base URL, "http://host:port".
func (m *Master) URL() string { return m.srv.URL }

// Close ends the stream and stops the server.
func (m *Master) Close() {
	m.mu.Lock()
	if m.sub != nil {
		m.sub.close()
		m.sub = nil
	}
	m.mu.Unlock()
	m.srv.CloseClientConnections()
	m.srv.Close()
}

// serveHTTP is the scheduler API's boundary: method, path, redirect and
// media-type checks happen here, once, before any state is touched.
func (m *Master) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/scheduler" && r.URL.Path != "/master/api/v1/scheduler" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Expecting a 'POST' request", http.StatusMethodNotAllowed)
		return
	}
	m.mu.Lock()
	m.requests++
	redirect, unavailable := m.redirect, m.unavailable
	if redirect != "" && !unavailable {
		m.redirects++
	}
	m.notifyLocked()
	m.mu.Unlock()
	if unavailable {
		http.Error(w, "No leading master", http.StatusServiceUnavailable)
		return
	}
	if redirect != "" {
		w.Header().Set("Location", "//"+redirect+r.URL.Path)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	in, out, status, msg := negotiate(r)
	if status != 0 {
		http.Error(w, msg, status)
		return
	}
	call := &schedpb.Call{}
	if err := in.Unmarshal(readBody(r), call); err != nil {
		http.Error(w, "Failed to parse body into Call: "+err.Error(), http.StatusBadRequest)
		return
	}
	if f := m.takeFailure(call.GetType()); f != nil {
		http.Error(w, f.body, f.code)
		return
	}
	if call.GetType() == schedpb.Call_SUBSCRIBE {
		m.serveSubscribe(w, r, call, out)
		return
	}
	if code, msg := m.handleCall(r.Header.Get("Mesos-Stream-Id"), call); code != http.StatusAccepted {
		http.Error(w, msg, code)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// takeFailure returns (and forgets) the answer FailNext set for t.
func (m *Master) takeFailure(t schedpb.Call_Type) *failure {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.failNext[t]
	delete(m.failNext, t)
	return f
}

// negotiate picks the request and response codecs, answering 400/415/406
// as the Mesos master does; the answer defaults to the request's type.
func negotiate(r *http.Request) (in, out codec.Codec, status int, msg string) {
	in, err := codec.ForContentType(r.Header.Get("Content-Type"))
	if err == nil {
		out, err = codec.ForAccept(r.Header.Get("Accept"), in)
	}
	var ce *codec.Error
	if errors.As(err, &ce) {
		return nil, nil, ce.HTTPStatus(), ce.Error()
	}
	return in, out, 0, ""
}

// newUUID returns a random RFC 4122 version 4 UUID as text.
func newUUID() string {
	b := newUUIDBytes()
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func newUUIDBytes() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}
