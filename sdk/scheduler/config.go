package scheduler

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"go.uber.org/zap"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"

	"github.com/agoraproject/agora/proto/codec"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultMinBackoff  = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultCallTimeout = 30 * time.Second
	// DefaultAckConcurrency is how many automatic acknowledgements may be
	// in flight at once.
	DefaultAckConcurrency = 16

	// defaultHeartbeat is what Mesos masters send; used until SUBSCRIBED
	// tells us the real interval, and if it is absent.
	defaultHeartbeat = 15 * time.Second
	// missedHeartbeats is how many intervals may pass without any event
	// before the stream is presumed dead. Mesos's own libraries use 5.
	missedHeartbeats = 5
	// maxEventBytes bounds one RecordIO record so that a corrupt length
	// prefix cannot make us allocate without limit. Offers from a very
	// large cluster stay well below it.
	maxEventBytes = 64 << 20
	// maxRedirects bounds how many 307s one request follows, so two masters
	// pointing at each other cannot loop forever.
	maxRedirects = 5
)

// Config configures a Client. The zero value of every field but Master and
// Framework is usable; see WithDefaults.
type Config struct {
	// Master is "host:port", a URL ("http://host:port", optionally with a
	// path prefix such as "/master"), or a comma-separated list of either.
	// With a list, the client tries each in turn and follows redirects to
	// the leader.
	Master string

	// Framework is sent in SUBSCRIBE. User and Name are required. Set Id to
	// resume an existing framework (after a scheduler restart); the client
	// also sets it itself once the master has assigned one.
	Framework *mesos.FrameworkInfo

	// Codec chooses the wire encoding; default codec.Protobuf.
	Codec codec.Codec

	// HTTPClient is used for the subscription and for calls. The client
	// copies it and handles redirects itself; its Timeout applies to calls
	// but never to the long-lived subscription. Default: a client using
	// http.DefaultTransport.
	HTTPClient *http.Client

	// TLS, when set, reaches the master over HTTPS (tls.go); Credential
	// authenticates the framework with HTTP Basic. Both wrap
	// HTTPClient's transport.
	TLS        *TLS
	Credential *Credential

	// Logger receives the client's logs; default zap.NewNop().
	Logger *zap.Logger

	// ManualAcknowledge turns off automatic acknowledgement of status
	// updates; the handler must then call Acknowledge for every status
	// with a uuid, or the agent keeps resending it.
	ManualAcknowledge bool

	// AckConcurrency is how many automatic acknowledgements may be in
	// flight at once (default DefaultAckConcurrency). They are sent off the
	// event goroutine, so the handler sees the next event while earlier
	// ones are acknowledged; when this many are in flight, reading events
	// waits. An agent sends a task's next update only once the previous one
	// is acknowledged, so acknowledgements of one task never overtake each
	// other. 1 sends them one at a time.
	AckConcurrency int

	// MinBackoff and MaxBackoff bound the delay between reconnection
	// attempts, which doubles from MinBackoff up to MaxBackoff and is reset
	// by a successful subscription.
	MinBackoff, MaxBackoff time.Duration

	// CallTimeout bounds a call whose context has no deadline, including the
	// automatic acknowledgements, so a hung master cannot stall Run.
	CallTimeout time.Duration

	// Clock drives backoff and the heartbeat watchdog; default the real
	// clock. Tests inject a fake (see sdk/sdktest.Clock).
	Clock Clock

	// Rand jitters backoff delays so that many schedulers do not reconnect
	// in lockstep after a master failover. Default: seeded from the time.
	// Only the Run goroutine uses it.
	Rand *rand.Rand
}

// WithDefaults returns a copy of c with every unset optional field filled.
func (c Config) WithDefaults() Config {
	if c.Codec == nil {
		c.Codec = codec.Protobuf
	}
	if secured, err := c.applySecurity(); err != nil {
		c.HTTPClient = &http.Client{Transport: errTransport{err}}
	} else {
		c = secured
	}
	c.TLS, c.Credential = nil, nil // applied once
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: http.DefaultTransport}
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.AckConcurrency == 0 {
		c.AckConcurrency = DefaultAckConcurrency
	}
	if c.Clock == nil {
		c.Clock = RealClock{}
	}
	if c.Rand == nil {
		seed := uint64(time.Now().UnixNano())
		c.Rand = rand.New(rand.NewPCG(seed, seed>>1|1))
	}
	return c
}

// Validate reports whether c, once defaults are applied, can run.
func (c Config) Validate() error {
	var errs []error
	if _, err := c.applySecurity(); err != nil {
		errs = append(errs, err)
	}
	c = c.WithDefaults()
	if _, _, err := parseMasters(c.Master); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.Framework == nil:
		errs = append(errs, errors.New("scheduler: Framework is required"))
	default:
		if c.Framework.GetUser() == "" {
			errs = append(errs, errors.New("scheduler: Framework.user is required"))
		}
		if c.Framework.GetName() == "" {
			errs = append(errs, errors.New("scheduler: Framework.name is required"))
		}
	}
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("scheduler: backoff must satisfy 0 < MinBackoff (%v) <= MaxBackoff (%v)", c.MinBackoff, c.MaxBackoff))
	}
	if c.AckConcurrency < 0 {
		errs = append(errs, fmt.Errorf("scheduler: AckConcurrency %d is negative", c.AckConcurrency))
	}
	if c.CallTimeout < 0 {
		errs = append(errs, fmt.Errorf("scheduler: CallTimeout %v is negative", c.CallTimeout))
	}
	return errors.Join(errs...)
}
