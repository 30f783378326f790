package telemetry

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/agoraproject/agora/internal/duration"
)

// LogToggle serves Mesos's /logging/toggle over a zap.AtomicLevel:
// GET or POST with level=DEBUG|INFO|WARNING|ERROR and an optional
// duration (Mesos syntax, e.g. "10mins"). With a duration the level goes
// back to what it was before after that long; without one it stays.
type LogToggle struct {
	level zap.AtomicLevel
	// AfterFunc schedules the revert; tests may replace it.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)

	mu      sync.Mutex
	pending func() bool   // stops the scheduled revert, nil if none
	base    zapcore.Level // the level a pending revert restores
	gen     int           // invalidates a revert that lost a race with a newer toggle
}

// NewLogToggle returns the handler for level.
func NewLogToggle(level zap.AtomicLevel) *LogToggle {
	return &LogToggle{level: level, AfterFunc: func(d time.Duration, f func()) func() bool {
		return time.AfterFunc(d, f).Stop
	}}
}

// ParseLevel reads a Mesos-style level name (DEBUG, INFO, WARNING, ERROR,
// any case; WARN is accepted too).
func ParseLevel(s string) (zapcore.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return zapcore.DebugLevel, nil
	case "INFO":
		return zapcore.InfoLevel, nil
	case "WARNING", "WARN":
		return zapcore.WarnLevel, nil
	case "ERROR":
		return zapcore.ErrorLevel, nil
	}
	return 0, fmt.Errorf("want DEBUG, INFO, WARNING or ERROR, got %q", s)
}

// LevelName is the Mesos-style name of l.
func LevelName(l zapcore.Level) string {
	if l == zapcore.WarnLevel {
		return "WARNING"
	}
	return l.CapitalString()
}

// ServeHTTP implements http.Handler.
func (t *LogToggle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "Expecting a 'GET' or 'POST' request", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Failed to parse the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !r.Form.Has("level") {
		http.Error(w, "Expecting 'level' in query", http.StatusBadRequest)
		return
	}
	lvl, err := ParseLevel(r.Form.Get("level"))
	if err != nil {
		http.Error(w, "Invalid 'level': "+err.Error(), http.StatusBadRequest)
		return
	}
	var d time.Duration
	if r.Form.Has("duration") {
		if d, err = duration.Parse(r.Form.Get("duration")); err != nil || d <= 0 {
			if err == nil {
				err = fmt.Errorf("must be positive")
			}
			http.Error(w, "Invalid 'duration': "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	t.Set(lvl, d)
	w.Header().Set("Content-Type", "text/plain")
	if d > 0 {
		fmt.Fprintf(w, "logging level set to %s for %s\n", LevelName(lvl), duration.Format(d))
	} else {
		fmt.Fprintf(w, "logging level set to %s\n", LevelName(lvl))
	}
}

// Set changes the level; with d > 0 it reverts after d to the level in
// force before the first toggle that is still pending.
func (t *LogToggle) Set(l zapcore.Level, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending != nil {
		t.pending()
		t.pending = nil
	} else {
		t.base = t.level.Level()
	}
	t.gen++
	t.level.SetLevel(l)
	if d <= 0 {
		return
	}
	gen, base := t.gen, t.base
	t.pending = t.AfterFunc(d, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.gen != gen {
			return
		}
		t.level.SetLevel(base)
		t.pending = nil
	})
}
