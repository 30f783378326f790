package agent

import (
	"context"
	"net/http"
	"sort"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/internal/httpapi"
	"github.com/agoraproject/agora/proto/codec"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	agentapi "github.com/agoraproject/agora/proto/mesos/v1/agent"
)

// maxOperatorBody bounds an operator API request.
const maxOperatorBody = 1 << 20

// operatorAPI serves the agent operator API, POST /api/v1: GET_HEALTH,
// GET_FLAGS, GET_VERSION, GET_METRICS, LIST_FILES, READ_FILE and
// GET_CONTAINERS, in JSON or protobuf, with
// Mesos's status codes for malformed requests (405, 400, 415, 406). Calls
// Agora does not implement get 501.
func (a *Agent) operatorAPI(w http.ResponseWriter, r *http.Request) {
	call := &agentapi.Call{}
	respCodec, ok := decodeOperatorCall(w, r, call)
	if !ok {
		return
	}
	var resp *agentapi.Response
	switch call.GetType() {
	case agentapi.Call_GET_HEALTH:
		resp = &agentapi.Response{Type: agentapi.Response_GET_HEALTH.Enum(),
			GetHealth: &agentapi.Response_GetHealth{Healthy: proto.Bool(true)}}
	case agentapi.Call_GET_VERSION:
		resp = &agentapi.Response{Type: agentapi.Response_GET_VERSION.Enum(),
			GetVersion: &agentapi.Response_GetVersion{VersionInfo: &mesos.VersionInfo{Version: proto.String(Version)}}}
	case agentapi.Call_GET_FLAGS:
		resp = &agentapi.Response{Type: agentapi.Response_GET_FLAGS.Enum(), GetFlags: a.operatorFlags()}
	case agentapi.Call_GET_CONTAINERS:
		ctx, cancel := context.WithTimeout(r.Context(), statsTimeout)
		defer cancel()
		resp = &agentapi.Response{Type: agentapi.Response_GET_CONTAINERS.Enum(),
			GetContainers: a.getContainers(ctx, call.GetGetContainers().GetShowNested())}
	case agentapi.Call_GET_METRICS:
		resp = &agentapi.Response{Type: agentapi.Response_GET_METRICS.Enum(), GetMetrics: a.operatorMetrics(r.Context())}
	case agentapi.Call_LIST_FILES:
		list, err := a.listFiles(call.GetListFiles())
		if err != nil {
			operatorError(w, err.(*filesError).status, err.Error())
			return
		}
		resp = &agentapi.Response{Type: agentapi.Response_LIST_FILES.Enum(), ListFiles: list}
	case agentapi.Call_READ_FILE:
		data, err := a.readFile(call.GetReadFile())
		if err != nil {
			operatorError(w, err.(*filesError).status, err.Error())
			return
		}
		resp = &agentapi.Response{Type: agentapi.Response_READ_FILE.Enum(), ReadFile: data}
	case agentapi.Call_UNKNOWN:
		operatorError(w, http.StatusBadRequest, "Expecting 'type' to be present and one of the agent call types")
		return
	default:
		operatorError(w, http.StatusNotImplemented, call.GetType().String()+" is not supported by this agent")
		return
	}
	b, err := respCodec.Marshal(resp)
	if err != nil {
		a.log.Error("encoding an operator API response", zap.Error(err))
		operatorError(w, http.StatusInternalServerError, "failed to encode the response")
		return
	}
	w.Header().Set("Content-Type", respCodec.MediaType())
	_, _ = w.Write(b)
}

// getContainers lists the live containers from the latest snapshot with
// their statistics: executors' containers (with what is nested inside
// them counted in), and the nested ones themselves when showNested.
func (a *Agent) getContainers(ctx context.Context, showNested bool) *agentapi.Response_GetContainers {
	out := &agentapi.Response_GetContainers{}
	entry := func(c liveContainer, pid int, s *mesos.ResourceStatistics) *agentapi.Response_GetContainers_Container {
		id := &mesos.ContainerID{Value: proto.String(c.containerID)}
		if c.parentID != "" {
			id.Parent = &mesos.ContainerID{Value: proto.String(c.parentID)}
		}
		cs := &mesos.ContainerStatus{ContainerId: id}
		if pid > 0 {
			cs.ExecutorPid = proto.Uint32(uint32(pid))
		}
		return &agentapi.Response_GetContainers_Container{
			FrameworkId:        &mesos.FrameworkID{Value: proto.String(c.frameworkID)},
			ExecutorId:         &mesos.ExecutorID{Value: proto.String(c.executorID)},
			ExecutorName:       proto.String(c.executorName),
			ContainerId:        id,
			ContainerStatus:    cs,
			ResourceStatistics: s,
		}
	}
	for _, u := range collectUsage(ctx, a.snapshot.Load().containers, a.log) {
		out.Containers = append(out.Containers, entry(u.liveContainer, u.pid, u.stats))
		if showNested {
			for _, n := range u.nested {
				out.Containers = append(out.Containers, entry(n.liveContainer, 0, n.stats))
			}
		}
	}
	return out
}

func (a *Agent) operatorFlags() *agentapi.Response_GetFlags {
	flags := a.snapshot.Load().Flags
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &agentapi.Response_GetFlags{}
	for _, n := range names {
		out.Flags = append(out.Flags, &mesos.Flag{Name: proto.String(n), Value: proto.String(flags[n])})
	}
	return out
}

// decodeOperatorCall negotiates the codecs and decodes the body into call,
// answering the client itself when it cannot.
func decodeOperatorCall(w http.ResponseWriter, r *http.Request, call proto.Message) (codec.Codec, bool) {
	return httpapi.DecodeCall(w, r, call, httpapi.DecodeOptions{MaxBody: maxOperatorBody, What: "Call"})
}

func operatorError(w http.ResponseWriter, status int, msg string) { httpapi.Error(w, status, msg) }
