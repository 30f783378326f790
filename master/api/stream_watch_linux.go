package api

import (
	"net"
	"sync"
	"syscall"
)

// On Linux one goroutine notices every stream's client leaving: the
// connections' descriptors sit in an epoll set of their own (besides the Go
// runtime's), waiting for the peer's FIN (EPOLLRDHUP) or a reset (EPOLLHUP,
// EPOLLERR), each at most once (EPOLLONESHOT). That saves a goroutine
// blocked in Read per stream. Each registration carries a token of its own,
// so an event of a descriptor number that was closed and reused meanwhile
// finds no stream.

type closeWatcher struct {
	once sync.Once
	epfd int
	err  error

	mu    sync.Mutex
	next  uint64
	gone  map[uint64]chan struct{}
	stops int // failures of epoll_wait, after which streams read instead
}

var streamCloses closeWatcher

// watchClose notices that the client closed conn: gone is closed then.
// unwatch must be called before conn is closed.
func watchClose(conn net.Conn) (gone <-chan struct{}, unwatch func()) {
	if g, u, ok := streamCloses.watch(conn); ok {
		return g, u
	}
	return watchByReading(conn)
}

func (w *closeWatcher) start() error {
	w.once.Do(func() {
		w.epfd, w.err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if w.err == nil {
			w.gone = map[uint64]chan struct{}{}
			go w.loop()
		}
	})
	return w.err
}

func (w *closeWatcher) watch(conn net.Conn) (<-chan struct{}, func(), bool) {
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = nc.NetConn() // TLS: the descriptor is the TCP connection's
	}
	sc, ok := conn.(syscall.Conn)
	if !ok || w.start() != nil {
		return nil, nil, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, nil, false
	}
	ch := make(chan struct{})
	w.mu.Lock()
	if w.stops > 0 {
		w.mu.Unlock()
		return nil, nil, false
	}
	token := w.next
	w.next++
	w.gone[token] = ch
	w.mu.Unlock()
	var ctlErr error
	err = raw.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{
			Events: syscall.EPOLLRDHUP | syscall.EPOLLHUP | syscall.EPOLLERR | syscall.EPOLLONESHOT,
			Fd:     int32(uint32(token)),
			Pad:    int32(uint32(token >> 32)),
		}
		ctlErr = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err != nil || ctlErr != nil {
		w.forget(token)
		return nil, nil, false
	}
	unwatch := func() {
		_ = raw.Control(func(fd uintptr) { _ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil) })
		w.forget(token)
	}
	return ch, unwatch, true
}

func (w *closeWatcher) forget(token uint64) {
	w.mu.Lock()
	delete(w.gone, token)
	w.mu.Unlock()
}

func (w *closeWatcher) loop() {
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(w.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			// Not expected on a valid epoll descriptor. Streams already
			// watched are told their clients left (they resubscribe);
			// new ones read instead.
			w.mu.Lock()
			w.stops++
			for token, ch := range w.gone {
				close(ch)
				delete(w.gone, token)
			}
			w.mu.Unlock()
			return
		}
		w.mu.Lock()
		for _, ev := range events[:n] {
			token := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if ch := w.gone[token]; ch != nil {
				close(ch)
				delete(w.gone, token)
			}
		}
		w.mu.Unlock()
	}
}
