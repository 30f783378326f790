package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// GET /v2/events: Server-Sent Events, one "event: <type>\ndata: <json>\n\n"
// per event, ?event_type= (repeatable) keeps only those types, and an idle
// stream gets a ":" comment line every KeepAlive. The stream ends when the
// client goes away or falls more than EventBuffer events behind.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var filter map[string]bool
	if types := splitEmbed(q["event_type"]); len(types) > 0 {
		filter = map[string]bool{}
		for _, t := range types {
			filter[t] = true
		}
	}
	light := q.Get("plan-format") == "light"

	events, cancel := s.b.Subscribe(s.cfg.EventBuffer)
	defer cancel()
	s.streams.Add(1)
	defer s.streams.Add(-1)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	remote := clientIP(r)
	s.publishSimple("event_stream_attached", map[string]string{"remoteAddress": remote})
	defer s.publishSimple("event_stream_detached", map[string]string{"remoteAddress": remote})

	keepAlive := time.NewTicker(s.cfg.KeepAlive)
	defer keepAlive.Stop()
	var buf bytes.Buffer
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepAlive.C:
			if _, err := w.Write([]byte(":\n")); err != nil {
				return
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			if filter != nil && !filter[ev.Type] {
				continue
			}
			body := ev.Body
			if light {
				body = lightPlan(ev.Type, body)
			}
			buf.Reset()
			writeSSE(&buf, ev.Type, body)
			if _, err := w.Write(buf.Bytes()); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// writeSSE frames one event. A body spanning lines becomes several "data:"
// lines, which a client joins back with newlines.
func writeSSE(buf *bytes.Buffer, typ string, body []byte) {
	buf.WriteString("event: ")
	buf.WriteString(strings.NewReplacer("\n", " ", "\r", " ").Replace(typ))
	buf.WriteByte('\n')
	for _, line := range bytes.Split(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")), []byte("\n")) {
		buf.WriteString("data: ")
		buf.Write(line)
		buf.WriteByte('\n')
	}
	buf.WriteByte('\n')
}

// lightPlan drops the original and target root groups from a deployment
// event's plan (?plan-format=light): they can be large and most clients
// only need the steps.
func lightPlan(typ string, body []byte) []byte {
	if !strings.HasPrefix(typ, "deployment_") {
		return body
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	raw, ok := m["plan"]
	if !ok {
		return body
	}
	var plan map[string]json.RawMessage
	if json.Unmarshal(raw, &plan) != nil {
		return body
	}
	delete(plan, "original")
	delete(plan, "target")
	pb, err := json.Marshal(plan)
	if err != nil {
		return body
	}
	m["plan"] = pb
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// publishSimple emits an API-layer event with eventType and timestamp added
// to fields.
func (s *Server) publishSimple(typ string, fields map[string]string) []byte {
	m := make(map[string]string, len(fields)+2)
	for k, v := range fields {
		m[k] = v
	}
	m["eventType"] = typ
	m["timestamp"] = timestamp(s.cfg.Now())
	body, _ := json.Marshal(m)
	s.b.Publish(state.Event{Type: typ, Body: body})
	return body
}
