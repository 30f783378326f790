package executorapi

import (
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	executor "github.com/agoraproject/agora/proto/mesos/v1/executor"
)

// Validate checks a call's shape as Mesos's agent does before looking at
// any executor: the IDs and the call's own message are present, and an
// UPDATE carries a status the executor may send (its uuid set, from
// SOURCE_EXECUTOR, not TASK_STAGING, for this executor). It returns a
// 400 *Error.
func Validate(call *executor.Call) error {
	switch {
	case call.GetType() == executor.Call_UNKNOWN:
		// Unknown enum names decode as unset, so this also catches typos.
		return BadRequest("Expecting 'type' to be present and one of SUBSCRIBE, UPDATE, MESSAGE")
	case call.GetExecutorId().GetValue() == "":
		return BadRequest("Expecting 'executor_id' to be present")
	case call.GetFrameworkId().GetValue() == "":
		return BadRequest("Expecting 'framework_id' to be present")
	}
	switch call.GetType() {
	case executor.Call_SUBSCRIBE:
		if call.Subscribe == nil {
			return BadRequest("Expecting 'subscribe' to be present")
		}
		for _, u := range call.GetSubscribe().GetUnacknowledgedUpdates() {
			if err := validateStatus(call, u.GetStatus()); err != nil {
				return BadRequest("Invalid 'subscribe.unacknowledged_updates': %s", err.Msg)
			}
		}
	case executor.Call_UPDATE:
		if call.Update == nil {
			return BadRequest("Expecting 'update' to be present")
		}
		if err := validateStatus(call, call.GetUpdate().GetStatus()); err != nil {
			return err
		}
	case executor.Call_MESSAGE:
		if call.Message == nil {
			return BadRequest("Expecting 'message' to be present")
		}
	}
	return nil
}

func validateStatus(call *executor.Call, st *mesos.TaskStatus) *Error {
	eid := call.GetExecutorId().GetValue()
	switch {
	case st == nil:
		return BadRequest("Expecting 'update.status' to be present")
	case st.GetTaskId().GetValue() == "":
		return BadRequest("Expecting 'status.task_id' to be present")
	case st.State == nil:
		return BadRequest("Expecting 'status.state' to be present")
	case len(st.GetUuid()) == 0:
		return BadRequest("Expecting 'uuid' to be present")
	case len(st.GetUuid()) != 16:
		return BadRequest("'uuid' must be a 16-byte UUID, got %d bytes", len(st.GetUuid()))
	case st.GetExecutorId() != nil && st.GetExecutorId().GetValue() != eid:
		return BadRequest("ExecutorID in Call: %s does not match ExecutorID in TaskStatus: %s", eid, st.GetExecutorId().GetValue())
	case st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR:
		return BadRequest("Received Call from executor %s of framework %s with invalid source, expecting 'SOURCE_EXECUTOR'",
			eid, call.GetFrameworkId().GetValue())
	case st.GetState() == mesos.TaskState_TASK_STAGING:
		return BadRequest("Received TASK_STAGING from executor %s of framework %s which is not allowed",
			eid, call.GetFrameworkId().GetValue())
	}
	return nil
}
