package election

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/zkctx"
)

// session is one ZooKeeper session plus what the election needs to know
// about it that the client does not expose: when the server was last heard
// from, and the session timeout the server granted.
type session struct {
	conn      *zk.Conn
	requested time.Duration
	lastRead  atomic.Int64 // unix nanos
	granted   atomic.Int64 // ms, from the connect response; 0 until then
	// ended is closed when the server reports the session expired.
	ended     chan struct{}
	endedOnce atomic.Bool
	// up is signalled when the session is established.
	up chan struct{}
}

func connect(servers []string, timeout time.Duration, log *zap.Logger) (*session, error) {
	s := &session{requested: timeout, ended: make(chan struct{}), up: make(chan struct{}, 1)}
	s.lastRead.Store(time.Now().UnixNano())
	conn, _, err := zk.Connect(servers, timeout,
		zk.WithLogger(zkLogger{log}), zk.WithLogInfo(false),
		zk.WithDialer(s.dial),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.Type != zk.EventSession {
				return
			}
			switch ev.State {
			case zk.StateExpired:
				if s.endedOnce.CompareAndSwap(false, true) {
					close(s.ended)
				}
			case zk.StateHasSession:
				select {
				case s.up <- struct{}{}:
				default:
				}
			}
		}))
	if err != nil {
		return nil, err
	}
	s.conn = conn
	return s, nil
}

// waitUp waits for the session to be established.
func (s *session) waitUp(ctx context.Context) error {
	if s.conn.State() == zk.StateHasSession {
		return nil
	}
	select {
	case <-s.up:
		return nil
	case <-s.ended:
		return errors.New("session expired")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// timeout is the session timeout the server granted (it clamps the
// requested one to [2, 20] ticks), or the requested one before that.
func (s *session) timeout() time.Duration {
	if ms := s.granted.Load(); ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return s.requested
}

func (s *session) lastContact() time.Time { return time.Unix(0, s.lastRead.Load()) }

func (s *session) close() { s.conn.Close() }

// dial wraps connections so the session knows when the server last
// proved it heard from this client, and reads the granted timeout from the
// connect response.
func (s *session) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return nil, err
	}
	return &contactConn{Conn: c, s: s, sent: map[int32][]int64{}}, nil
}

// contactConn times the server's answers. ZooKeeper keeps a session alive
// while it receives packets from the client, so the lease may run from the
// moment a request was *sent*, and only once its answer came back: a reply
// proves the server got the request. Watch notifications (xid -1) prove
// nothing — in a one-way partition they can keep arriving while the
// server hears nothing and expires the session.
//
// The client writes each packet with one Write (int32 length, int32 xid,
// ...), the connect request first, so writes are timed per xid; replies
// carry the xid of their request (pings -2, each answered in order).
type contactConn struct {
	net.Conn
	s  *session
	mu sync.Mutex
	// sent holds, per xid, the send times of requests not yet answered.
	sent        map[int32][]int64
	connectSent int64
	wrote       bool
	frames      frameReader
	answered    bool // the connect response has been read
}

func (c *contactConn) Write(b []byte) (int, error) {
	now := time.Now().UnixNano()
	c.mu.Lock()
	switch {
	case !c.wrote:
		c.wrote, c.connectSent = true, now
	case len(b) >= 8:
		xid := int32(binary.BigEndian.Uint32(b[4:8]))
		c.sent[xid] = append(c.sent[xid], now)
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *contactConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		c.frames.feed(b[:n], c.frame)
		c.mu.Unlock()
	}
	return n, err
}

// frame handles the head of one packet from the server (see frameReader).
func (c *contactConn) frame(head []byte) {
	if !c.answered {
		// The connect response: int32 protocol version, int32 timeout in
		// ms, then the session id and password.
		c.answered = true
		if len(head) >= 12 {
			if ms := int32(binary.BigEndian.Uint32(head[8:12])); ms > 0 {
				c.s.granted.Store(int64(ms))
			}
		}
		c.s.contact(c.connectSent)
		return
	}
	if len(head) < 8 {
		return
	}
	xid := int32(binary.BigEndian.Uint32(head[4:8]))
	times := c.sent[xid]
	if len(times) == 0 {
		return // a notification (xid -1), or an answer to nothing sent
	}
	c.s.contact(times[0])
	if len(times) == 1 {
		delete(c.sent, xid)
	} else {
		c.sent[xid] = times[1:]
	}
}

// contact moves the last proven contact forward to at (unix nanos).
func (s *session) contact(at int64) {
	for {
		old := s.lastRead.Load()
		if at <= old || s.lastRead.CompareAndSwap(old, at) {
			return
		}
	}
}

// frameReader splits the server's byte stream into packets (int32 length,
// then that many bytes) and hands each packet's first 12 bytes, length
// included, to a callback: enough for a reply's xid or the connect
// response's timeout, without buffering whole packets.
type frameReader struct {
	head     [12]byte
	got      int // bytes of head filled
	total    int // the packet's size, length included; 0 until known
	consumed int // bytes of the packet seen
	reported bool
}

func (f *frameReader) feed(b []byte, frame func(head []byte)) {
	for len(b) > 0 {
		if f.total == 0 {
			k := copy(f.head[f.got:4], b)
			f.got += k
			f.consumed += k
			b = b[k:]
			if f.got < 4 {
				continue
			}
			f.total = int(binary.BigEndian.Uint32(f.head[:4])) + 4
		}
		want := f.total - f.consumed
		k := min(want, len(b))
		if f.got < len(f.head) {
			k = min(k, len(f.head)-f.got)
			copy(f.head[f.got:], b[:k])
			f.got += k
		}
		f.consumed += k
		b = b[k:]
		if !f.reported && (f.got == len(f.head) || f.consumed == f.total) {
			f.reported = true
			frame(f.head[:f.got])
		}
		if f.consumed == f.total {
			*f = frameReader{}
		}
	}
}

// ensurePath creates p and its missing ancestors as persistent znodes.
func ensurePath(ctx context.Context, conn *zk.Conn, p string, acl []zk.ACL) error {
	if p == "/" || p == "" {
		return nil
	}
	ok, err := zkctx.Call(ctx, func() (bool, error) { ok, _, err := conn.Exists(p); return ok, err })
	if err != nil || ok {
		return err
	}
	if err := ensurePath(ctx, conn, path.Dir(p), acl); err != nil {
		return err
	}
	_, err = zkctx.Call(ctx, func() (string, error) { return conn.Create(p, nil, 0, acl) })
	if err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return fmt.Errorf("create %s: %w", p, err)
	}
	return nil
}

// leaderState is what a watch of the election path last saw.
type leaderState struct {
	name string // leader's child name, "" when none
	data []byte
}

// watchLeader follows the lowest contender under dir until ctx ends or the
// session fails, calling report each time the leader changes (and once at
// the start). With self set it returns errGone when that znode disappears.
func watchLeader(ctx context.Context, conn *zk.Conn, dir, prefix, self string, report func(leaderState)) error {
	var last *leaderState
	for {
		type res struct {
			kids []string
			ch   <-chan zk.Event
		}
		r, err := zkctx.Call(ctx, func() (res, error) { k, _, ch, err := conn.ChildrenW(dir); return res{k, ch}, err })
		if errors.Is(err, zk.ErrNoNode) && self == "" {
			// Nobody has contended yet; watch for the directory.
			var e res
			e, err = zkctx.Call(ctx, func() (res, error) {
				ok, _, ch, err := conn.ExistsW(dir)
				if ok {
					ch = nil
				}
				return res{nil, ch}, err
			})
			if err == nil && e.ch == nil {
				continue // created meanwhile
			}
			r = e
		}
		if err != nil {
			return err
		}
		cands := candidates(r.kids, prefix)
		if self != "" && !containsName(cands, self) {
			return errGone
		}
		cur := leaderState{}
		if len(cands) > 0 {
			cur.name = cands[0].Name
			if cur.name == self {
				cur.data = nil // the caller knows its own data
			} else if last != nil && last.name == cur.name {
				cur.data = last.data
			} else {
				data, err := zkctx.Call(ctx, func() ([]byte, error) { d, _, err := conn.Get(dir + "/" + cur.name); return d, err })
				if errors.Is(err, zk.ErrNoNode) {
					continue // gone meanwhile; look again
				}
				if err != nil {
					return err
				}
				cur.data = data
			}
		}
		if last == nil || last.name != cur.name {
			report(cur)
			last = &cur
		}
		select {
		case ev := <-r.ch:
			if ev.Err != nil {
				return ev.Err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

var errGone = errors.New("own znode disappeared")

func containsName(cands []candidate, name string) bool {
	for _, c := range cands {
		if c.Name == name {
			return true
		}
	}
	return false
}

// zkLogger sends the ZooKeeper client's messages to zap at debug level.
type zkLogger struct{ log *zap.Logger }

func (l zkLogger) Printf(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }
