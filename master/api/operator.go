package api

import (
	"context"
	"net/http"
	"sort"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/master"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	masterpb "github.com/agoraproject/agora/proto/mesos/v1/master"
)

// operator serves the Mesos v1 operator API, POST /api/v1: one Call in,
// one Response out (SUBSCRIBE: a RecordIO stream of Events). Reads of the
// cluster are rendered from a State copy off the event loop; writes go
// through the loop like scheduler calls. Calls Agora does not implement
// get 501 naming the call.
func (h *Handler) operator(w http.ResponseWriter, r *http.Request) {
	call := &masterpb.Call{}
	respCodec, ok := h.decodeCall(w, r, call, "Call")
	if !ok {
		return
	}
	if call.GetType() == masterpb.Call_SUBSCRIBE {
		h.operatorSubscribe(w, r, respCodec)
		return
	}
	if t := call.GetType(); t == masterpb.Call_GET_STATE || t == masterpb.Call_GET_TASKS || t == masterpb.Call_GET_AGENTS {
		h.operatorBigRead(w, r, t, respCodec)
		return
	}
	resp, err := h.operatorCall(r.Context(), call, h.viewerFor(r))
	if ni, ok := err.(notImplemented); ok {
		httpError(w, http.StatusNotImplemented, string(ni))
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if resp == nil {
		w.WriteHeader(http.StatusOK) // Mesos answers calls without a Response 200, empty
		return
	}
	b, err := respCodec.Marshal(resp)
	if err != nil {
		h.log.Error("encoding an operator API response", zap.Stringer("call", call.GetType()), zap.Error(err))
		httpError(w, http.StatusInternalServerError, "failed to encode the response")
		return
	}
	w.Header().Set("Content-Type", respCodec.MediaType())
	_, _ = w.Write(b)
}

// operatorBigRead answers GET_STATE, GET_TASKS and GET_AGENTS from the
// encodings kept between reads (operator_state.go).
func (h *Handler) operatorBigRead(w http.ResponseWriter, r *http.Request, t masterpb.Call_Type, respCodec codec.Codec) {
	pb := respCodec.MediaType() == codec.MediaTypeProtobuf
	encode := h.caches.getStateJSON
	switch {
	case t == masterpb.Call_GET_AGENTS && pb:
		encode = h.caches.getAgentsProto
	case t == masterpb.Call_GET_AGENTS:
		encode = h.caches.getAgentsJSON
	case t == masterpb.Call_GET_TASKS && pb:
		encode = h.caches.getTasksProto
	case t == masterpb.Call_GET_TASKS:
		encode = h.caches.getTasksJSON
	case pb:
		encode = h.caches.getStateProto
	}
	if v := h.viewerFor(r); v != nil {
		whole := encode
		encode = func(s *master.State) (*body, error) { return whole(v.state(s)) }
	}
	b, err := h.caches.read(r.Context(), h.m, encode)
	if err != nil {
		if _, failed := err.(encodeFailed); !failed {
			writeError(w, err)
			return
		}
		h.log.Error("encoding an operator API response", zap.Stringer("call", t), zap.Error(err))
		httpError(w, http.StatusInternalServerError, "failed to encode the response")
		return
	}
	b.serve(w, respCodec.MediaType())
}

// operatorCall answers one call; a nil Response means 200 with no body,
// as Mesos answers the calls that change something. State reads show
// what v may see (nil: everything).
func (h *Handler) operatorCall(ctx context.Context, call *masterpb.Call, v *viewer) (*masterpb.Response, error) {
	resp := func(t masterpb.Response_Type) *masterpb.Response { return &masterpb.Response{Type: t.Enum()} }
	switch call.GetType() {
	case masterpb.Call_GET_HEALTH:
		out := resp(masterpb.Response_GET_HEALTH)
		out.GetHealth = &masterpb.Response_GetHealth{Healthy: proto.Bool(true)}
		return out, nil
	case masterpb.Call_GET_FLAGS:
		out := resp(masterpb.Response_GET_FLAGS)
		out.GetFlags = flagsProto(h.m.Flags())
		return out, nil
	case masterpb.Call_GET_VERSION:
		out := resp(masterpb.Response_GET_VERSION)
		out.GetVersion = &masterpb.Response_GetVersion{VersionInfo: &mesos.VersionInfo{Version: proto.String(master.Version)}}
		return out, nil
	case masterpb.Call_GET_METRICS:
		return h.operatorMetrics(ctx, call.GetGetMetrics())
	case masterpb.Call_GET_LOGGING_LEVEL:
		if h.logLevel == nil {
			return nil, unavailable("the logging level of this process is not known")
		}
		out := resp(masterpb.Response_GET_LOGGING_LEVEL)
		out.GetLoggingLevel = &masterpb.Response_GetLoggingLevel{Level: proto.Uint32(GlogLevel(h.logLevel.Level()))}
		return out, nil
	case masterpb.Call_SET_LOGGING_LEVEL:
		return nil, h.setLoggingLevel(call.GetSetLoggingLevel())
	case masterpb.Call_LIST_FILES:
		return nil, masterFileError(call.GetListFiles().GetPath(), call.GetListFiles() != nil, "list_files")
	case masterpb.Call_READ_FILE:
		return nil, masterFileError(call.GetReadFile().GetPath(), call.GetReadFile() != nil, "read_file")
	case masterpb.Call_GET_STATE, masterpb.Call_GET_AGENTS, masterpb.Call_GET_FRAMEWORKS,
		masterpb.Call_GET_EXECUTORS, masterpb.Call_GET_TASKS, masterpb.Call_GET_ROLES:
		s, err := h.m.State(ctx)
		if err != nil {
			return nil, err
		}
		return stateResponse(call.GetType(), v.state(s)), nil
	case masterpb.Call_GET_WEIGHTS:
		weights, err := h.m.Weights(ctx)
		if err != nil {
			return nil, err
		}
		out := resp(masterpb.Response_GET_WEIGHTS)
		out.GetWeights = master.OperatorWeights(weights)
		return out, nil
	case masterpb.Call_UPDATE_WEIGHTS:
		if call.GetUpdateWeights() == nil {
			return nil, invalid("Expecting 'update_weights' to be present")
		}
		weights := map[string]float64{}
		for i, wi := range call.GetUpdateWeights().GetWeightInfos() {
			if wi.GetRole() == "" {
				return nil, invalid("'update_weights.weight_infos[" + itoa(int64(i)) + "].role' must be set")
			}
			weights[wi.GetRole()] = wi.GetWeight()
		}
		return nil, h.m.UpdateWeights(ctx, weights)
	case masterpb.Call_GET_MASTER:
		out := resp(masterpb.Response_GET_MASTER)
		start := float64(h.m.StartTime().UnixNano()) / 1e9
		out.GetMaster = &masterpb.Response_GetMaster{MasterInfo: h.m.Info(), StartTime: proto.Float64(start), ElectedTime: proto.Float64(start)}
		return out, nil
	case masterpb.Call_TEARDOWN:
		return nil, h.m.TeardownFramework(ctx, call.GetTeardown().GetFrameworkId().GetValue())
	case masterpb.Call_MARK_AGENT_GONE:
		return nil, h.m.MarkAgentGone(ctx, call.GetMarkAgentGone().GetAgentId().GetValue())
	case masterpb.Call_UNKNOWN:
		// Unknown enum names decode as unset, so this also catches typos.
		return nil, invalid("Expecting 'type' to be present and one of the master call types")
	}
	return nil, notImplemented(call.GetType().String() + " is not supported by this master")
}

// stateResponse renders the reads served from one State copy.
func stateResponse(t masterpb.Call_Type, s *master.State) *masterpb.Response {
	switch t {
	case masterpb.Call_GET_AGENTS:
		return &masterpb.Response{Type: masterpb.Response_GET_AGENTS.Enum(), GetAgents: master.OperatorAgents(s)}
	case masterpb.Call_GET_FRAMEWORKS:
		return &masterpb.Response{Type: masterpb.Response_GET_FRAMEWORKS.Enum(), GetFrameworks: master.OperatorFrameworks(s)}
	case masterpb.Call_GET_EXECUTORS:
		return &masterpb.Response{Type: masterpb.Response_GET_EXECUTORS.Enum(), GetExecutors: master.OperatorExecutors(s)}
	case masterpb.Call_GET_TASKS:
		return &masterpb.Response{Type: masterpb.Response_GET_TASKS.Enum(), GetTasks: master.OperatorTasks(s)}
	case masterpb.Call_GET_ROLES:
		return &masterpb.Response{Type: masterpb.Response_GET_ROLES.Enum(), GetRoles: master.OperatorRoles(s)}
	}
	return &masterpb.Response{Type: masterpb.Response_GET_STATE.Enum(), GetState: master.OperatorState(s)}
}

// operatorMetrics answers GET_METRICS, bounded by get_metrics.timeout when
// given.
func (h *Handler) operatorMetrics(ctx context.Context, c *masterpb.Call_GetMetrics) (*masterpb.Response, error) {
	if ns := c.GetTimeout().GetNanoseconds(); ns > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ns))
		defer cancel()
	}
	values, err := h.m.Metrics(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &masterpb.Response_GetMetrics{Metrics: make([]*mesos.Metric, 0, len(names))}
	for _, n := range names {
		out.Metrics = append(out.Metrics, &mesos.Metric{Name: proto.String(n), Value: proto.Float64(values[n])})
	}
	return &masterpb.Response{Type: masterpb.Response_GET_METRICS.Enum(), GetMetrics: out}, nil
}

// setLoggingLevel maps glog verbosity onto the process's zap level: 0 is
// INFO, 1 and above DEBUG, for the given duration.
func (h *Handler) setLoggingLevel(c *masterpb.Call_SetLoggingLevel) error {
	if h.logToggle == nil {
		return unavailable("the logging level of this process cannot be changed")
	}
	if c == nil || c.Level == nil || c.Duration == nil {
		return invalid("Expecting 'set_logging_level.level' and 'set_logging_level.duration' to be present")
	}
	d := time.Duration(c.GetDuration().GetNanoseconds())
	if d <= 0 {
		return invalid("'set_logging_level.duration' must be positive")
	}
	h.logToggle.Set(ZapLevel(c.GetLevel()), d)
	return nil
}

// GlogLevel is the glog verbosity Mesos reports for a zap level: 1 when
// DEBUG is on, else 0.
func GlogLevel(l zapcore.Level) uint32 {
	if l <= zapcore.DebugLevel {
		return 1
	}
	return 0
}

// ZapLevel is the zap level for a glog verbosity.
func ZapLevel(v uint32) zapcore.Level {
	if v > 0 {
		return zapcore.DebugLevel
	}
	return zapcore.InfoLevel
}

// masterFileError answers LIST_FILES and READ_FILE. The master serves no
// files: it logs to stderr and keeps its durable state under --work_dir
// for itself; sandboxes are read from the agents.
func masterFileError(path string, present bool, field string) error {
	if !present || path == "" {
		return invalid("Expecting '" + field + ".path' to be present")
	}
	return &master.Error{Kind: master.KindNotFound, Msg: "No file or directory at '" + path +
		"': the master serves no files of its own; sandboxes are listed and read through the agents' /api/v1 (LIST_FILES, READ_FILE) or /files"}
}

func flagsProto(flags map[string]string) *masterpb.Response_GetFlags {
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &masterpb.Response_GetFlags{}
	for _, n := range names {
		out.Flags = append(out.Flags, &mesos.Flag{Name: proto.String(n), Value: proto.String(flags[n])})
	}
	return out
}

func invalid(msg string) error     { return &master.Error{Kind: master.KindInvalid, Msg: msg} }
func unavailable(msg string) error { return &master.Error{Kind: master.KindUnavailable, Msg: msg} }

// notImplemented is a call Agora knows by name but does not serve (501).
type notImplemented string

func (e notImplemented) Error() string { return string(e) }
