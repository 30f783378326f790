package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// callbacks delivers every event to the registered HTTP callback URLs (POST
// /v2/eventSubscriptions) as a POST of the event's JSON. One fan-out
// goroutine reads the backend's event stream while any URL is registered
// and queues each event for every URL without blocking; one sender
// goroutine per URL drains its bounded queue, retrying a failing POST with
// back-off. A slow or dead callback therefore only delays, and when its
// queue is full loses, its own events. The list lives in memory: after a
// restart or failover clients register again (or are given with
// Config.HTTPEndpoints).
type callbacks struct {
	s      *Server
	client *http.Client

	mu      sync.Mutex
	senders map[string]*sender
	stop    context.CancelFunc // stops the fan-out; nil when not running
	closed  bool
	wg      sync.WaitGroup

	dropped atomic.Int64
}

func newCallbacks(s *Server) *callbacks {
	return &callbacks{s: s, senders: map[string]*sender{}, client: &http.Client{}}
}

func checkCallbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("callback URL %q must be an absolute http or https URL", raw)
	}
	return nil
}

// add registers a URL; it reports false when it already was.
func (c *callbacks) add(u string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.senders[u] != nil {
		return false
	}
	snd := &sender{c: c, url: u, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	c.senders[u] = snd
	c.wg.Add(1)
	go func() { defer c.wg.Done(); snd.run() }()
	if c.stop == nil {
		// Subscribe before returning so that an event published right
		// after registering (subscribe_event) reaches the new URL.
		ctx, cancel := context.WithCancel(context.Background())
		c.stop = cancel
		events, unsub := c.s.b.Subscribe(c.s.cfg.EventBuffer)
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.fanout(ctx, events, unsub) }()
	}
	return true
}

// remove unregisters a URL; it reports whether it was registered.
func (c *callbacks) remove(u string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	snd := c.senders[u]
	if snd == nil {
		return false
	}
	delete(c.senders, u)
	close(snd.quit)
	if len(c.senders) == 0 && c.stop != nil {
		c.stop()
		c.stop = nil
	}
	return true
}

func (c *callbacks) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.senders))
	for u := range c.senders {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// close stops every goroutine and waits for them.
func (c *callbacks) close() {
	c.mu.Lock()
	c.closed = true
	for u, snd := range c.senders {
		close(snd.quit)
		delete(c.senders, u)
	}
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// fanout copies events to every sender's queue until stopped. When the
// backend drops the subscription (it fell behind) it subscribes again: the
// events in between are lost, as they would be for a slow SSE client.
func (c *callbacks) fanout(ctx context.Context, events <-chan state.Event, unsub func()) {
	defer func() { unsub() }()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				c.s.log.Warn("event callbacks fell behind the event stream; resubscribing")
				unsub()
				select { // do not spin if the backend keeps closing the stream
				case <-ctx.Done():
					unsub = func() {}
					return
				case <-time.After(100 * time.Millisecond):
				}
				events, unsub = c.s.b.Subscribe(c.s.cfg.EventBuffer)
				continue
			}
			c.mu.Lock()
			for _, snd := range c.senders {
				snd.enqueue(ev.Body)
			}
			c.mu.Unlock()
		}
	}
}

// sender POSTs one URL's events in order.
type sender struct {
	c    *callbacks
	url  string
	wake chan struct{}
	quit chan struct{}

	mu    sync.Mutex
	queue [][]byte
}

func (s *sender) enqueue(body []byte) {
	s.mu.Lock()
	if max := s.c.s.cfg.CallbackQueue; len(s.queue) >= max {
		n := len(s.queue) - max + 1
		s.queue = s.queue[n:]
		s.c.dropped.Add(int64(n))
	}
	s.queue = append(s.queue, body)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *sender) next() ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil, false
	}
	b := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	return b, true
}

func (s *sender) run() {
	for {
		body, ok := s.next()
		if !ok {
			select {
			case <-s.quit:
				return
			case <-s.wake:
				continue
			}
		}
		if !s.deliver(body) {
			return
		}
	}
}

// deliver POSTs one event, retrying with doubling back-off. It reports
// false when the sender was stopped meanwhile.
func (s *sender) deliver(body []byte) bool {
	cfg := s.c.s.cfg
	backoff := cfg.CallbackBackoff
	var lastErr error
	for attempt := 0; attempt < cfg.CallbackAttempts; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-s.quit:
				t.Stop()
				return false
			case <-t.C:
			}
			backoff *= 2
		}
		if lastErr = s.post(body); lastErr == nil {
			return true
		}
	}
	s.c.dropped.Add(1)
	s.c.s.log.Warn("event callback failed; event dropped", zap.String("url", s.url),
		zap.Int("attempts", cfg.CallbackAttempts), zap.Error(lastErr))
	select {
	case <-s.quit:
		return false
	default:
		return true
	}
}

func (s *sender) post(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.c.s.cfg.CallbackTimeout)
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.c.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return errors.New("callback answered " + resp.Status)
	}
	return nil
}

// POST /v2/eventSubscriptions?callbackUrl=
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) error {
	u := r.URL.Query().Get("callbackUrl")
	if u == "" {
		return errBadRequest("Query parameter 'callbackUrl' is required")
	}
	if err := checkCallbackURL(u); err != nil {
		return invalid("/callbackUrl", err.Error())
	}
	s.cbs.add(u)
	body := s.publishSimple("subscribe_event", map[string]string{"clientIp": clientIP(r), "callbackUrl": u})
	writeRaw(w, http.StatusOK, body)
	return nil
}

// GET /v2/eventSubscriptions
func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string][]string{"callbackUrls": s.cbs.list()})
	return nil
}

// DELETE /v2/eventSubscriptions?callbackUrl=
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	u := r.URL.Query().Get("callbackUrl")
	if u == "" {
		return errBadRequest("Query parameter 'callbackUrl' is required")
	}
	s.cbs.remove(u)
	body := s.publishSimple("unsubscribe_event", map[string]string{"clientIp": clientIP(r), "callbackUrl": u})
	writeRaw(w, http.StatusOK, body)
	return nil
}
