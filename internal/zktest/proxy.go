package zktest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a ZooKeeper server. Partition makes it
// swallow traffic in both directions while keeping connections open, the way
// a network partition looks to a client: no error, just silence, so the
// client only notices through its own timeouts.
type Proxy struct {
	// Addr is the proxy's listen address; give it to the client.
	Addr string

	target string
	ln     net.Listener

	mu          sync.Mutex
	partitioned bool
	// mute drops only what the client sends (a one-way partition).
	mute  bool
	conns []net.Conn
}

// NewProxy listens on a free 127.0.0.1 port and forwards to target. It is
// closed when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln}
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Partition cuts every current and future connection off: bytes are read
// and dropped, nothing is delivered, new connections hang.
func (p *Proxy) Partition() {
	p.mu.Lock()
	p.partitioned = true
	p.mu.Unlock()
}

// MuteClient drops what clients send while delivering what the server
// sends: a one-way partition, in which the server hears nothing (and
// expires the session) while the client still receives notifications.
func (p *Proxy) MuteClient() {
	p.mu.Lock()
	p.mute = true
	p.mu.Unlock()
}

// Heal ends a partition. Connections that were open during it stay silent
// (their streams lost bytes); the client reconnects through new ones.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.partitioned, p.mute = false, false
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
}

// Close stops listening and closes all connections.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
}

func (p *Proxy) isPartitioned() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.partitioned
}

func (p *Proxy) dropping(fromClient bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.partitioned || (fromClient && p.mute)
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	if p.isPartitioned() {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, up)
	p.mu.Unlock()
	go p.pipe(up, c, true)
	p.pipe(c, up, false)
}

// pipe copies src to dst until src fails, dropping what it reads while the
// proxy is partitioned (or muted, for what the client sends).
func (p *Proxy) pipe(dst, src net.Conn, fromClient bool) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.dropping(fromClient) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}
