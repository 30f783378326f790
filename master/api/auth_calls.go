package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/acl"
	"github.com/agoraproject/agora/internal/httpapi"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
	"github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// peekCall decodes a call for the checks below and leaves the body for
// the handler to read again. It answers errors itself, as the handler
// would.
func (h *Handler) peekCall(w http.ResponseWriter, r *http.Request, call proto.Message, what string) bool {
	data, ok := httpapi.ReadBody(w, r, h.maxBodyBytes)
	if !ok {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	if _, ok := httpapi.DecodeCall(w, r, call, httpapi.DecodeOptions{MaxBody: h.maxBodyBytes, What: what}); !ok {
		return false
	}
	setBody(r, data)
	return true
}

func setBody(r *http.Request, data []byte) {
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.ContentLength = int64(len(data))
	r.Header.Set("Content-Length", strconv.Itoa(len(data)))
}

// guardScheduler checks a scheduler call before the master sees it:
//   - SUBSCRIBE: an authenticated framework's FrameworkInfo.principal must
//     be its principal (it is filled in when empty), a framework resumed by
//     ID must belong to it, and register_frameworks must allow each role;
//   - other calls: the framework must belong to the caller's principal;
//   - ACCEPT: run_tasks must allow the user of every task and executor
//     launched.
//
// An unauthenticated caller is authorized as "any principal", whatever
// its FrameworkInfo claims: a claimed principal grants nothing.
func (h *Handler) guardScheduler(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.sec.enabled() || r.Method != http.MethodPost {
			next(w, r)
			return
		}
		call := &scheduler.Call{}
		if !h.peekCall(w, r, call, "Call") {
			return
		}
		principal := principalOf(r)
		if call.GetType() == scheduler.Call_SUBSCRIBE {
			if !h.checkSubscribe(w, r, principal, call) {
				return
			}
			next(w, r)
			return
		}
		owner, found, err := h.m.FrameworkOwner(r.Context(), call.GetFrameworkId().GetValue())
		if err != nil {
			writeError(w, err)
			return
		}
		if found && owner.Principal != "" && owner.Principal != principal {
			h.deny(w, r, principal, fmt.Sprintf("Framework %s belongs to principal %q; this request is authenticated as %s",
				call.GetFrameworkId().GetValue(), owner.Principal, describePrincipal(principal)))
			return
		}
		if call.GetType() == scheduler.Call_ACCEPT {
			for _, op := range call.GetAccept().GetOperations() {
				for _, user := range launchUsers(op, owner.User) {
					if !h.allowed(w, r, acl.RunTasks, principal, user) {
						return
					}
				}
			}
		}
		next(w, r)
	}
}

func (h *Handler) checkSubscribe(w http.ResponseWriter, r *http.Request, principal string, call *scheduler.Call) bool {
	info := call.GetSubscribe().GetFrameworkInfo()
	if info == nil {
		return true // the handler names the missing field
	}
	if principal != "" && info.GetPrincipal() != "" && info.GetPrincipal() != principal {
		h.deny(w, r, principal, fmt.Sprintf("Framework principal %q does not match the authenticated principal %q", info.GetPrincipal(), principal))
		return false
	}
	if id := info.GetId().GetValue(); id != "" {
		owner, found, err := h.m.FrameworkOwner(r.Context(), id)
		if err != nil {
			writeError(w, err)
			return false
		}
		if found && owner.Principal != "" && owner.Principal != principal {
			h.deny(w, r, principal, fmt.Sprintf("Framework %s belongs to principal %q; this request is authenticated as %s", id, owner.Principal, describePrincipal(principal)))
			return false
		}
	}
	for _, role := range frameworkRoles(info) {
		if !h.allowed(w, r, acl.RegisterFrameworks, principal, role) {
			return false
		}
	}
	if principal != "" && info.GetPrincipal() == "" {
		// Record who registered it, for the checks of later calls and
		// teardown_frameworks.
		info.Principal = proto.String(principal)
		reqCodec, _, ok := httpapi.Negotiate(w, r)
		if !ok {
			return false
		}
		data, err := reqCodec.Marshal(call)
		if err != nil {
			httpError(w, http.StatusInternalServerError, err.Error())
			return false
		}
		setBody(r, data)
	}
	return true
}

// frameworkRoles are the roles a framework subscribes in, as the master
// reads them: FrameworkInfo.roles with MULTI_ROLE, else role ("*").
func frameworkRoles(info *mesos.FrameworkInfo) []string {
	for _, c := range info.GetCapabilities() {
		if c.GetType() == mesos.FrameworkInfo_Capability_MULTI_ROLE {
			return info.GetRoles()
		}
	}
	if info.Role == nil {
		return []string{"*"}
	}
	return []string{info.GetRole()}
}

// launchUsers lists the users an operation runs processes as: each
// task's command user, else its executor's, else the framework's.
func launchUsers(op *mesos.Offer_Operation, frameworkUser string) []string {
	userOf := func(cmds ...*mesos.CommandInfo) string {
		for _, c := range cmds {
			if c.GetUser() != "" {
				return c.GetUser()
			}
		}
		return frameworkUser
	}
	var out []string
	switch op.GetType() {
	case mesos.Offer_Operation_LAUNCH:
		for _, t := range op.GetLaunch().GetTaskInfos() {
			out = append(out, userOf(t.GetCommand(), t.GetExecutor().GetCommand()))
			if t.GetExecutor() != nil {
				out = append(out, userOf(t.GetExecutor().GetCommand()))
			}
		}
	case mesos.Offer_Operation_LAUNCH_GROUP:
		lg := op.GetLaunchGroup()
		out = append(out, userOf(lg.GetExecutor().GetCommand()))
		for _, t := range lg.GetTaskGroup().GetTasks() {
			out = append(out, userOf(t.GetCommand(), lg.GetExecutor().GetCommand()))
		}
	}
	return out
}

// guardOperator checks the operator calls that change who runs what:
// UPDATE_WEIGHTS (update_weights on each role), MARK_AGENT_GONE
// (mark_agents_gone) and TEARDOWN (teardown_frameworks on the
// framework's principal).
func (h *Handler) guardOperator(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.sec.enabled() || r.Method != http.MethodPost {
			next(w, r)
			return
		}
		call := &masterpb.Call{}
		if !h.peekCall(w, r, call, "Call") {
			return
		}
		principal := principalOf(r)
		switch call.GetType() {
		case masterpb.Call_UPDATE_WEIGHTS:
			for _, wi := range call.GetUpdateWeights().GetWeightInfos() {
				if !h.allowed(w, r, acl.UpdateWeights, principal, wi.GetRole()) {
					return
				}
			}
		case masterpb.Call_MARK_AGENT_GONE:
			if !h.allowed(w, r, acl.MarkAgentsGone, principal, "") {
				return
			}
		case masterpb.Call_TEARDOWN:
			owner, _, err := h.m.FrameworkOwner(r.Context(), call.GetTeardown().GetFrameworkId().GetValue())
			if err != nil {
				writeError(w, err)
				return
			}
			if !h.allowed(w, r, acl.TeardownFrameworks, principal, owner.Principal) {
				return
			}
		}
		next(w, r)
	}
}

func describePrincipal(p string) string {
	if p == "" {
		return "no principal (unauthenticated)"
	}
	return strconv.Quote(p)
}
