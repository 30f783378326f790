package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/state"
)

// errorBody is Marathon's error JSON: a message, and for malformed or invalid
// bodies the failing JSON paths.
type errorBody struct {
	Message     string            `json:"message"`
	Details     []state.Violation `json:"details,omitempty"`
	Deployments []deploymentRef   `json:"deployments,omitempty"`
}

// deploymentRef is how Marathon names a deployment inside other objects.
type deploymentRef struct {
	ID string `json:"id"`
}

func refs(ids []string) []deploymentRef {
	out := make([]deploymentRef, len(ids))
	for i, id := range ids {
		out[i] = deploymentRef{ID: id}
	}
	return out
}

// badRequest is a request this layer refuses before calling the backend
// (bad query parameter, malformed body): 400 unless status says otherwise.
type badRequest struct {
	status  int
	message string
	details []state.Violation
}

func (e *badRequest) Error() string { return e.message }

func errBadRequest(msg string) error { return &badRequest{status: http.StatusBadRequest, message: msg} }

// invalidJSON wraps a decoding failure as Marathon's 400 "Invalid JSON" with
// the path that failed, prefixing it with where the object sat in the body.
func invalidJSON(err error, prefix string) error {
	var de *app.DecodeError
	if errors.As(err, &de) {
		return &badRequest{status: http.StatusBadRequest, message: "Invalid JSON",
			details: []state.Violation{{Path: joinPath(prefix, de.Path), Errors: []string{de.Msg}}}}
	}
	var ie *state.InvalidError
	if errors.As(err, &ie) {
		return &state.InvalidError{Violations: prefixViolations(ie.Violations, prefix)}
	}
	return &badRequest{status: http.StatusBadRequest, message: "Invalid JSON",
		details: []state.Violation{{Path: joinPath(prefix, "/"), Errors: []string{err.Error()}}}}
}

// joinPath puts a violation path under prefix: ("/apps(0)", "/cpus") →
// "/apps(0)/cpus".
func joinPath(prefix, p string) string {
	if prefix == "" {
		if p == "" {
			return "/"
		}
		return p
	}
	if p == "" || p == "/" {
		return prefix
	}
	if p[0] != '/' {
		p = "/" + p
	}
	return prefix + p
}

func prefixViolations(vs []state.Violation, prefix string) []state.Violation {
	if prefix == "" {
		return vs
	}
	out := make([]state.Violation, len(vs))
	for i, v := range vs {
		out[i] = state.Violation{Path: joinPath(prefix, v.Path), Errors: v.Errors}
	}
	return out
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here: the types served are plain.
		http.Error(w, `{"message":"encoding the response failed"}`, http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Message: msg})
}

// writeError maps an error to Marathon's status and body, once, here.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		br *badRequest
		nf *state.NotFoundError
		lk *state.LockedError
		cf *state.ConflictError
		iv *state.InvalidError
		nl *state.NotLeaderError
	)
	switch {
	case errors.As(err, &br):
		writeJSON(w, br.status, errorBody{Message: br.message, Details: br.details})
	case errors.As(err, &nf):
		writeMessage(w, http.StatusNotFound, nf.Error())
	case errors.As(err, &lk):
		writeJSON(w, http.StatusConflict, errorBody{Message: lk.Error(), Deployments: refs(lk.DeploymentIDs)})
	case errors.As(err, &cf):
		writeMessage(w, http.StatusConflict, cf.Error())
	case errors.As(err, &iv):
		details := iv.Violations
		if details == nil {
			details = []state.Violation{}
		}
		writeJSON(w, http.StatusUnprocessableEntity, struct {
			Message string            `json:"message"`
			Details []state.Violation `json:"details"`
		}{"Object is not valid", details})
	case errors.As(err, &nl):
		writeMessage(w, http.StatusServiceUnavailable, nl.Error())
	default:
		s.log.Error("request failed", zap.String("method", r.Method), zap.String("uri", r.RequestURI), zap.Error(err))
		writeMessage(w, http.StatusInternalServerError, err.Error())
	}
}

// invalid is a 422 for one path.
func invalid(path, msg string) error {
	return &state.InvalidError{Violations: []state.Violation{{Path: path, Errors: []string{msg}}}}
}
