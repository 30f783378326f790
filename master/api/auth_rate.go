package api

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/agoraproject/agora/internal/authn"
)

// Subscriptions are rate limited: a SUBSCRIBE is the expensive call (a
// stream, a registration in the loop), and a client that reconnects in a
// tight loop, or floods, must not take the master with it. Each remote IP
// and, when the request is authenticated, each principal has a token
// bucket; a request that finds its bucket empty gets 429 with
// Retry-After. Only POSTs without Mesos-Stream-Id count: every call but
// SUBSCRIBE carries one.

// RateLimit is a token bucket's refill rate (per second) and size. A
// zero Rate turns limiting off.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Default subscribe limits: generous, so that a fleet of agents behind
// one address (or the 10,000-agent simulator) registers at once, while a
// client subscribing in a loop is slowed to the rate.
var (
	DefaultFrameworkSubscribeRate = RateLimit{Rate: 20, Burst: 100}
	DefaultAgentSubscribeRate     = RateLimit{Rate: 500, Burst: 20000}
)

// buckets are token buckets by key. They are kept while not full: a
// bucket that has refilled is the same as a missing one, so it is dropped
// when the map grows.
type buckets struct {
	limit RateLimit
	mu    sync.Mutex
	m     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newBuckets(l RateLimit) *buckets { return &buckets{limit: l, m: map[string]*bucket{}} }

// take spends a token of key at now; when none is left it returns false
// and how long until one is.
func (b *buckets) take(key string, now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.m[key]
	if k == nil {
		if len(b.m) >= 4096 {
			b.sweep(now)
		}
		k = &bucket{tokens: float64(b.limit.Burst), last: now}
		b.m[key] = k
	}
	k.refill(b.limit, now)
	if k.tokens >= 1 {
		k.tokens--
		return true, 0
	}
	wait := time.Duration((1 - k.tokens) / b.limit.Rate * float64(time.Second))
	return false, wait
}

func (k *bucket) refill(l RateLimit, now time.Time) {
	if dt := now.Sub(k.last).Seconds(); dt > 0 {
		k.tokens = math.Min(float64(l.Burst), k.tokens+dt*l.Rate)
		k.last = now
	}
}

func (b *buckets) sweep(now time.Time) {
	for key, k := range b.m {
		k.refill(b.limit, now)
		if k.tokens >= float64(b.limit.Burst) {
			delete(b.m, key)
		}
	}
}

// subscribeLimiter holds the buckets of the scheduler API and of the
// agent protocol.
type subscribeLimiter struct {
	frameworks, agents *buckets
	now                func() time.Time
}

func newSubscribeLimiter(frameworks, agents RateLimit) *subscribeLimiter {
	l := &subscribeLimiter{now: time.Now}
	if frameworks.Rate > 0 {
		l.frameworks = newBuckets(frameworks)
	}
	if agents.Rate > 0 {
		l.agents = newBuckets(agents)
	}
	return l
}

// wrap answers 429 to subscriptions over the limits and passes the rest.
func (l *subscribeLimiter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Mesos-Stream-Id") != "" {
			next.ServeHTTP(w, r)
			return
		}
		var b *buckets
		switch Classify(r) {
		case authn.Framework:
			b = l.frameworks
		case authn.Agent:
			b = l.agents
		}
		if b == nil {
			next.ServeHTTP(w, r)
			return
		}
		now := l.now()
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		keys := []string{"ip " + host}
		if p, ok := authn.PrincipalFrom(r.Context()); ok && p != "" {
			keys = append(keys, "principal "+p)
		}
		for _, k := range keys {
			if ok, wait := b.take(k, now); !ok {
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
				httpError(w, http.StatusTooManyRequests, "too many subscriptions from "+k+"; retry later")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
