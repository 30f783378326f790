//go:build !linux

package api

import "net"

// watchClose notices that the client closed conn.
func watchClose(conn net.Conn) (gone <-chan struct{}, unwatch func()) {
	return watchByReading(conn)
}
