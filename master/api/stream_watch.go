package api

import "net"

// watchByReading notices that the client closed conn by reading from it
// in a goroutine of its own. Bytes a stream's client sends are discarded.
// unwatch does nothing: closing conn ends the goroutine.
func watchByReading(conn net.Conn) (gone <-chan struct{}, unwatch func()) {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		var b [64]byte
		for {
			if _, err := conn.Read(b[:]); err != nil {
				return
			}
		}
	}()
	return ch, func() {}
}
