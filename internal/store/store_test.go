package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// conformance is what every backend must do; each backend's test runs it.
func conformance(t *testing.T, s Store) {
	ctx := context.Background()
	t.Run("GetAbsent", func(t *testing.T) {
		if _, err := s.Get(ctx, "absent/key"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get absent = %v, want ErrNotFound", err)
		}
	})
	t.Run("PutGetReplace", func(t *testing.T) {
		mustPut(t, s, "apps/web", []byte(`{"id":"/web"}`))
		mustGet(t, s, "apps/web", []byte(`{"id":"/web"}`))
		mustPut(t, s, "apps/web", []byte(`{"id":"/web","instances":2}`))
		mustGet(t, s, "apps/web", []byte(`{"id":"/web","instances":2}`))
		mustPut(t, s, "empty", nil)
		mustGet(t, s, "empty", []byte{})
	})
	t.Run("ParentAndChildAreIndependent", func(t *testing.T) {
		mustPut(t, s, "tree/a/b", []byte("child"))
		if _, err := s.Get(ctx, "tree/a"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("parent of a key without its own value: %v, want ErrNotFound", err)
		}
		mustPut(t, s, "tree/a", []byte("parent"))
		mustDelete(t, s, "tree/a")
		mustGet(t, s, "tree/a/b", []byte("child"))
		if _, err := s.Get(ctx, "tree/a"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted parent: %v, want ErrNotFound", err)
		}
		mustDelete(t, s, "tree/a/b")
		mustDelete(t, s, "tree/a/b") // absent: not an error
		mustList(t, s, "tree/", nil)
	})
	t.Run("List", func(t *testing.T) {
		for _, k := range []string{"l/apps/a", "l/apps/a/versions/1", "l/apps/a/versions/2", "l/apps/b", "l/appsx", "l/jobs/j"} {
			mustPut(t, s, k, []byte(k))
		}
		mustList(t, s, "l/apps/", []string{"l/apps/a", "l/apps/a/versions/1", "l/apps/a/versions/2", "l/apps/b"})
		mustList(t, s, "l/apps", []string{"l/apps/a", "l/apps/a/versions/1", "l/apps/a/versions/2", "l/apps/b", "l/appsx"})
		mustList(t, s, "l/apps/a/versions/", []string{"l/apps/a/versions/1", "l/apps/a/versions/2"})
		mustList(t, s, "l/nothing/", nil)
		mustList(t, s, "l/j", []string{"l/jobs/j"})
		all, err := s.List(ctx, "")
		if err != nil || !contains(all, "l/jobs/j") || !contains(all, "apps/web") {
			t.Fatalf("List(\"\") = %v, %v", all, err)
		}
	})
	t.Run("BadKeys", func(t *testing.T) {
		for _, k := range []string{"", "/abs", "trail/", "a//b", "a/./b", "a/../b", "nul\x00", strings.Repeat("x", 300)} {
			if err := s.Put(ctx, k, []byte("v")); err == nil || !strings.Contains(err.Error(), "key") {
				t.Errorf("Put(%q) = %v, want a key error", k, err)
			}
			if _, err := s.Get(ctx, k); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q) = %v, want a key error", k, err)
			}
		}
	})
	t.Run("BinaryAndLargeValues", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, n := range []int{1, ChunkSize, ChunkSize + 1, 3 << 20} {
			v := make([]byte, n)
			for i := range v {
				v[i] = byte(r.Uint32())
			}
			key := fmt.Sprintf("big/%d", n)
			mustPut(t, s, key, v)
			mustGet(t, s, key, v)
		}
		// Large replaced by small and back, then deleted.
		mustPut(t, s, "big/3145728", []byte("small now"))
		mustGet(t, s, "big/3145728", []byte("small now"))
		v := bytes.Repeat([]byte("xyz"), 1<<20)
		mustPut(t, s, "big/3145728", v)
		mustPut(t, s, "big/3145728", append(v, '!'))
		mustGet(t, s, "big/3145728", append(v, '!'))
		for _, n := range []int{1, ChunkSize, ChunkSize + 1, 3 << 20} {
			mustDelete(t, s, fmt.Sprintf("big/%d", n))
		}
		mustList(t, s, "big/", nil)
	})
	t.Run("ManyKeysConcurrently", func(t *testing.T) {
		const n = 500
		var wg sync.WaitGroup
		errs := make(chan error, n)
		want := make([]string, 0, n)
		for i := range n {
			k := fmt.Sprintf("many/%02d/%04d", i%7, i)
			want = append(want, k)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Put(ctx, k, []byte(k))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.List(ctx, "many/")
		if err != nil || len(got) != n {
			t.Fatalf("List = %d keys, %v; want %d", len(got), err, n)
		}
		for i, k := range got {
			if i > 0 && got[i-1] >= k {
				t.Fatalf("List not sorted at %d: %q, %q", i, got[i-1], k)
			}
		}
		mustGet(t, s, want[123], []byte(want[123]))
	})
	// Writers racing on one key: all succeed, one value wins whole.
	t.Run("SameKeyConcurrently", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			v := bytes.Repeat([]byte{byte('a' + i)}, 100+i*ChunkSize/3)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Put(ctx, "race/k", v)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, "race/k")
		if err != nil || len(got) < 100 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) || len(got) != 100+int(got[0]-'a')*ChunkSize/3 {
			t.Fatalf("after racing writes Get = %d bytes, %v", len(got), err)
		}
		mustDelete(t, s, "race/k")
	})
	t.Run("CanceledContext", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Put(c, "k", []byte("v")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put with canceled ctx = %v", err)
		}
	})
}

func mustPut(t *testing.T, s Store, k string, v []byte) {
	t.Helper()
	if err := s.Put(context.Background(), k, v); err != nil {
		t.Fatalf("Put(%q): %v", k, err)
	}
}

func mustGet(t *testing.T, s Store, k string, want []byte) {
	t.Helper()
	got, err := s.Get(context.Background(), k)
	if err != nil {
		t.Fatalf("Get(%q): %v", k, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes %.40q, want %d bytes %.40q", k, len(got), got, len(want), want)
	}
}

func mustDelete(t *testing.T, s Store, k string) {
	t.Helper()
	if err := s.Delete(context.Background(), k); err != nil {
		t.Fatalf("Delete(%q): %v", k, err)
	}
}

func mustList(t *testing.T, s Store, prefix string, want []string) {
	t.Helper()
	got, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("List(%q) = %q, want %q", prefix, got, want)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestMemory(t *testing.T) { conformance(t, NewMemory()) }

func TestMemoryCopiesValues(t *testing.T) {
	s := NewMemory()
	v := []byte("abc")
	mustPut(t, s, "k", v)
	v[0] = 'X'
	got, _ := s.Get(context.Background(), "k")
	got[1] = 'Y'
	mustGet(t, s, "k", []byte("abc"))
}

func TestOpenSpecErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"http://x":   "want a zk://",
		"zk://":      "no servers",
		"":           "no directory",
		"zk://a:0/x": "port",
	} {
		_, _, err := Open(spec, "", nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want error containing %q", spec, err, want)
		}
	}
}
