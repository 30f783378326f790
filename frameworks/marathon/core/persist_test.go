package core

import (
	"context"
	"strings"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
	"github.com/agoraproject/agora/internal/store"
	"github.com/agoraproject/agora/sdk/sdktest"
)

// TestKeysAreInjective: IDs that differ only where one has "/" and the
// other "_" (or "%2F") get different keys, valid for the store.
func TestKeysAreInjective(t *testing.T) {
	ids := []string{"/prod/web", "/prod_web", "/prod%2Fweb", "/prod/web/x", "/"}
	seen := map[string]string{}
	for _, id := range ids {
		for _, k := range []string{appKey(id), instancesKey(id), groupKey(id), versionKey(id, "v")} {
			if err := store.ValidateKey(k); err != nil {
				t.Errorf("%s: %v", id, err)
			}
			if other, ok := seen[k]; ok {
				t.Errorf("%s and %s share the key %s", id, other, k)
			}
			seen[k] = id
		}
	}
}

// TestLegacyKeysMigrated: a store written with the "/" → "_" escaping
// loads — definition, versions, instances and groups — and is rewritten
// under the new keys, with the running task kept.
func TestLegacyKeysMigrated(t *testing.T) {
	m := newMaster(t, sdktest.Options{Agents: []sdktest.Agent{{}}})
	st := store.NewMemory()
	clock := sdktest.NewClock(epoch)
	h := startCore(t, m, st, clock)
	if _, err := h.deploy(state.Change{Upsert: []*app.App{newApp("/prod/web", 1)},
		Groups: []state.Group{{ID: "/prod", Dependencies: []string{}}}}, false); err != nil {
		t.Fatal(err)
	}
	h.idle()
	taskID := h.app("/prod/web").Tasks[0].ID
	h.stop()

	ctx := context.Background()
	keys, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	legacy := 0
	for _, k := range keys {
		lk := strings.ReplaceAll(k, "%2F", "_")
		if lk == k {
			continue
		}
		b, _ := st.Get(ctx, k)
		if err := st.Put(ctx, lk, b); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
		legacy++
	}
	if legacy < 4 { // app, version, instances, group
		t.Fatalf("only %d keys to make legacy: %v", legacy, keys)
	}

	h2 := startCore(t, m, st, clock)
	h2.waitFor("task back", func() bool {
		s := h2.app("/prod/web")
		return s.TasksRunning == 1 && s.Tasks[0].ID == taskID
	})
	if vs, err := h2.core.AppVersions("/prod/web"); err != nil || len(vs) != 1 {
		t.Fatalf("versions %v, %v", vs, err)
	}
	if _, err := h2.core.AppVersion("/prod/web", h2.app("/prod/web").App.Version); err != nil {
		t.Fatal(err)
	}
	if gs := h2.core.Groups(); len(gs) != 1 || gs[0].ID != "/prod" {
		t.Fatalf("groups %+v", gs)
	}
	keys, _ = st.List(ctx, "")
	for _, k := range keys {
		if strings.Contains(k, "/_") {
			t.Errorf("legacy key %s left", k)
		}
	}
}
