package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap/zaptest"

	"github.com/agoraproject/agora/internal/zktest"
	"github.com/agoraproject/agora/internal/zkurl"
)

// One ZooKeeper for all ZK store tests: starting it is most of their time.
func TestZK(t *testing.T) {
	srv := zktest.Start(t)
	open := func(t *testing.T, spec string) Store {
		s, c, err := Open(spec, "", zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return s
	}
	raw, _, err := zk.Connect([]string{srv.Addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(zkLogger{zaptest.NewLogger(t)}))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	t.Run("Conformance", func(t *testing.T) {
		conformance(t, open(t, "zk://"+srv.Addr+"/agora/conformance"))
	})

	// No znode the store writes comes near ZooKeeper's 1 MiB limit, and a
	// deleted large value leaves no chunks behind.
	t.Run("ChunkLayout", func(t *testing.T) {
		s := open(t, "zk://"+srv.Addr+"/agora/layout")
		mustPut(t, s, "big", bytes.Repeat([]byte{7}, 3<<20))
		gens, _, err := raw.Children("/agora/layout/chunks/big")
		if err != nil || len(gens) != 1 {
			t.Fatalf("chunk generations = %v, %v; want one", gens, err)
		}
		parts, _, err := raw.Children("/agora/layout/chunks/big/" + gens[0])
		if err != nil || len(parts) != 6 {
			t.Fatalf("chunks = %v, %v; want 6 of 512 KiB", parts, err)
		}
		for _, p := range parts {
			_, st, err := raw.Get("/agora/layout/chunks/big/" + gens[0] + "/" + p)
			if err != nil || st.DataLength > ChunkSize {
				t.Fatalf("chunk %s: %d bytes, %v", p, st.DataLength, err)
			}
		}
		mustDelete(t, s, "big")
		if ok, _, _ := raw.Exists("/agora/layout/chunks/big"); ok {
			t.Fatal("chunks of a deleted value remain")
		}
		if ok, _, _ := raw.Exists("/agora/layout/kv/big"); ok {
			t.Fatal("znode of a deleted key remains")
		}
	})

	// A writer that died after writing chunks but before its commit: the
	// key keeps its old value, and the next large write removes the
	// orphaned generation.
	t.Run("CrashBeforeCommit", func(t *testing.T) {
		s := open(t, "zk://"+srv.Addr+"/agora/crash")
		mustPut(t, s, "k", bytes.Repeat([]byte("a"), ChunkSize+10))
		z := s.(*ZK)
		z.orphanAge = 0 // the orphan is a few milliseconds old
		orphan, err := z.writeChunks(context.Background(), "k", bytes.Repeat([]byte("b"), ChunkSize+10))
		if err != nil {
			t.Fatal(err)
		}
		mustGet(t, s, "k", bytes.Repeat([]byte("a"), ChunkSize+10))
		mustPut(t, s, "k", bytes.Repeat([]byte("c"), 2*ChunkSize))
		mustGet(t, s, "k", bytes.Repeat([]byte("c"), 2*ChunkSize))
		if ok, _, _ := raw.Exists("/agora/crash/chunks/k/" + orphan); ok {
			t.Fatal("orphaned chunk generation not removed")
		}
	})

	// Digest auth: znodes are created for the user only.
	t.Run("Auth", func(t *testing.T) {
		s := open(t, "zk://bob:secret@"+srv.Addr+"/agora/auth")
		mustPut(t, s, "k", []byte("v"))
		mustGet(t, s, "k", []byte("v"))
		if _, _, err := raw.Get("/agora/auth/kv/k"); err != zk.ErrNoAuth {
			t.Fatalf("unauthenticated read = %v, want ErrNoAuth", err)
		}
	})

	// A fenced store writes only while its fence znode exists: once the
	// ephemeral node of a leader's session is gone, its writes are refused
	// and nothing of them lands.
	t.Run("Fenced", func(t *testing.T) {
		leader, _, err := zk.Connect([]string{srv.Addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(zkLogger{zaptest.NewLogger(t)}))
		if err != nil {
			t.Fatal(err)
		}
		fence, err := leader.Create("/fence-leader", []byte("me"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := zkurl.Parse("zk://" + srv.Addr + "/agora/fenced")
		z, err := OpenZK(u, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		s := z.Fenced(fence)
		mustPut(t, s, "kept", []byte("v1"))
		mustPut(t, s, "big", bytes.Repeat([]byte{1}, 2*ChunkSize))
		leader.Close() // the session ends and its ephemeral node with it
		ctx := context.Background()
		for _, err := range []error{
			s.Put(ctx, "kept", []byte("v2")),
			s.Put(ctx, "new", []byte("x")),
			s.Put(ctx, "big", bytes.Repeat([]byte{2}, 2*ChunkSize)),
			s.Delete(ctx, "kept"),
		} {
			if !errors.Is(err, ErrFenced) {
				t.Fatalf("write after the fence went = %v, want ErrFenced", err)
			}
		}
		mustGet(t, z, "kept", []byte("v1"))
		mustGet(t, z, "big", bytes.Repeat([]byte{1}, 2*ChunkSize))
		if _, err := z.Get(ctx, "new"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a fenced-off Put landed: %v", err)
		}
		mustPut(t, z, "kept", []byte("v3")) // the unfenced store still writes
	})

	// A ZooKeeper restart is survived: the client reconnects and the data
	// is still there.
	t.Run("ServerRestart", func(t *testing.T) {
		s := open(t, "zk://"+srv.Addr+"/agora/restart")
		mustPut(t, s, "k", []byte("v"))
		srv.Restart(t)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		got, err := s.Get(ctx, "k")
		if err != nil || string(got) != "v" {
			t.Fatalf("Get after restart = %q, %v", got, err)
		}
	})

	t.Run("Unreachable", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits for the open timeout")
		}
		u, _ := zkurl.Parse("zk://127.0.0.1:1/x")
		start := time.Now()
		_, err := OpenZK(u, nil)
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Fatalf("OpenZK unreachable = %v", err)
		}
		t.Logf("gave up after %v", time.Since(start))
	})
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add(newHeader("g1", []byte("hello")).encode())
	f.Add(newHeader("g2", make([]byte, 3*ChunkSize+1)).encode())
	f.Add([]byte(`{"gen":"x","chunks":-1,"size":-5}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHeader(b)
		if err != nil {
			return
		}
		if h.Size < 0 || h.Size > maxValue || h.Chunks*ChunkSize < h.Size {
			t.Fatalf("accepted inconsistent header %+v", h)
		}
	})
}
