package election

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// packet builds a server packet: int32 length, then body.
func packet(body ...int32) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, int32(4*len(body)))
	for _, v := range body {
		binary.Write(&b, binary.BigEndian, v)
	}
	return b.Bytes()
}

// heads splits stream with frameReader, fed in pieces of the given sizes.
func heads(stream []byte, sizes []int) [][]byte {
	var f frameReader
	var out [][]byte
	for i := 0; len(stream) > 0; i++ {
		n := len(stream)
		if len(sizes) > 0 {
			n = min(n, max(1, sizes[i%len(sizes)]))
		}
		f.feed(stream[:n], func(h []byte) { out = append(out, append([]byte(nil), h...)) })
		stream = stream[n:]
	}
	return out
}

func TestFrameReaderFindsEveryPacketHead(t *testing.T) {
	stream := append(append(append(packet(0, 4000, 7, 8, 9), packet(-1, 1)...), packet()...), packet(5, 0, 0, 0, 0, 0)...)
	// Heads are the first 12 bytes, or the whole of a shorter packet.
	want := [][]byte{packet(0, 4000, 7, 8, 9)[:12], packet(-1, 1), packet(), packet(5, 0, 0, 0, 0, 0)[:12]}
	for _, sizes := range [][]int{nil, {1}, {3}, {5, 7}, {13, 1, 2}} {
		got := heads(stream, sizes)
		if len(got) != len(want) {
			t.Fatalf("sizes %v: %d heads, want %d", sizes, len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("sizes %v: head %d = %x, want %x", sizes, i, got[i], want[i])
			}
		}
	}
}

func FuzzFrameReaderSplitsDoNotMatter(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0}, uint8(3))
	f.Add(packet(-2, 0, 0, 0), uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, split uint8) {
		// Lengths in the input are arbitrary: keep them small so packets end.
		for i := 0; i+4 <= len(stream); i += 4 {
			stream[i] = 0
			stream[i+1] = 0
		}
		whole := heads(stream, nil)
		pieces := heads(stream, []int{int(split%16) + 1})
		if len(whole) != len(pieces) {
			t.Fatalf("%d heads whole, %d in pieces", len(whole), len(pieces))
		}
		for i := range whole {
			if !bytes.Equal(whole[i], pieces[i]) {
				t.Fatalf("head %d differs: %x vs %x", i, whole[i], pieces[i])
			}
		}
	})
}

// The lease runs from when an answered request was sent; notifications
// from the server do not extend it.
func TestContactIsSendTimeOfAnsweredRequests(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	s := &session{}
	c := &contactConn{Conn: client, s: s, sent: map[int32][]int64{}}
	go func() { // the server: read what the client writes
		buf := make([]byte, 64)
		for {
			if _, err := server.Read(buf); err != nil {
				return
			}
		}
	}()
	write := func(b []byte) time.Time {
		before := time.Now()
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		return before
	}
	serve := func(b []byte) {
		done := make(chan struct{})
		go func() { server.Write(b); close(done) }()
		buf := make([]byte, len(b))
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		<-done
	}

	connectAt := write(packet(0, 0, 0))
	time.Sleep(5 * time.Millisecond) // the reply arrives measurably later
	serve(packet(0, 3000, 1, 2, 3))
	if got := s.lastContact(); got.Before(connectAt) || time.Since(got) < 5*time.Millisecond {
		t.Fatalf("contact after connect %v, want the connect's send time %v", got, connectAt)
	}
	if s.timeout() != 3*time.Second {
		t.Fatalf("granted timeout %v", s.timeout())
	}
	afterConnect := s.lastContact()

	pingAt := write(packet(-2, 11))
	time.Sleep(5 * time.Millisecond)
	serve(packet(-1, 0, 0, 0)) // a watch notification
	if s.lastContact() != afterConnect {
		t.Fatal("a notification extended the lease")
	}
	serve(packet(-2, 0, 0, 0)) // the ping's reply
	if got := s.lastContact(); got.Before(pingAt) || time.Since(got) < 5*time.Millisecond {
		t.Fatalf("contact after the ping reply %v, want the ping's send time %v", got, pingAt)
	}
	stale := s.lastContact()
	serve(packet(9, 0, 0, 0)) // an answer to nothing sent
	if s.lastContact() != stale {
		t.Fatal("an unmatched reply extended the lease")
	}
}
