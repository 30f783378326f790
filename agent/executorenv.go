package agent

// What a custom executor is started with and what the agent reports of it.

import (
	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/agent/containerizer"
	"github.com/agoraproject/agora/internal/duration"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// executorInfo is the executor's info with framework_id set.
func executorInfo(ex *executor) *mesos.ExecutorInfo {
	if ex.info.GetFrameworkId().GetValue() == ex.frameworkID {
		return ex.info
	}
	info := proto.Clone(ex.info).(*mesos.ExecutorInfo)
	info.FrameworkId = &mesos.FrameworkID{Value: proto.String(ex.frameworkID)}
	return info
}

func (a *Agent) agentInfo() *mesos.AgentInfo {
	return &mesos.AgentInfo{
		Id:         &mesos.AgentID{Value: proto.String(a.ID())},
		Hostname:   proto.String(a.hostname),
		Port:       proto.Int32(int32(a.cfg.Port)),
		Resources:  a.resources,
		Attributes: a.attributes,
	}
}

// executorSpec describes the executor's container. Its resources are the
// executor's plus those of the tasks it starts with, which isolating
// containerizers turn into limits.
func (a *Agent) executorSpec(ex *executor) (containerizer.LaunchSpec, error) {
	env, err := a.executorEnvironment(ex)
	if err != nil {
		return containerizer.LaunchSpec{}, err
	}
	cmd := ex.info.GetCommand()
	user := a.commandUser(cmd, ex.frameworkID)
	res := executorResources(ex)
	return containerizer.LaunchSpec{
		ContainerID: ex.containerID,
		Sandbox:     ex.directory,
		Command:     cmd,
		Container:   ex.info.GetContainer(),
		Env:         env,
		Resources:   res,
		User:        user,
		Owner:       containerizer.Owner{AgentID: a.ID(), FrameworkID: ex.frameworkID, ExecutorID: ex.id},
	}, nil
}

// executorEnvironment is what Mesos gives an executor: the MESOS_*
// variables (durations in Mesos's format), then the command's own
// variables, which may override them.
func (a *Agent) executorEnvironment(ex *executor) ([]string, error) {
	checkpoint := "0"
	if a.frameworks[ex.frameworkID].info.GetCheckpoint() {
		checkpoint = "1"
	}
	env := map[string]string{
		"PATH":                                 defaultPath,
		"MESOS_FRAMEWORK_ID":                   ex.frameworkID,
		"MESOS_EXECUTOR_ID":                    ex.id,
		"MESOS_DIRECTORY":                      ex.directory,
		"MESOS_SANDBOX":                        ex.directory,
		"MESOS_AGENT_ID":                       a.ID(),
		"MESOS_SLAVE_ID":                       a.ID(),
		"MESOS_SLAVE_PID":                      "slave(1)@" + a.endpoint(),
		"MESOS_AGENT_ENDPOINT":                 a.executorEndpoint(),
		"MESOS_CHECKPOINT":                     checkpoint,
		"MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": duration.Format(ex.run.grace),
		"MESOS_RECOVERY_TIMEOUT":               duration.Format(a.cfg.RecoveryTimeout),
		"MESOS_SUBSCRIPTION_BACKOFF_MAX":       duration.Format(subscriptionBackoffMax),
		"MESOS_HTTP_COMMAND_EXECUTOR":          "0",
	}
	return commandEnv(env, ex.info.GetCommand())
}

// reportExecutors lists, for SUBSCRIBE, the custom executors still running
// and adds their frameworks to fws when missing.
func (a *Agent) reportExecutors(fws []*mesos.FrameworkInfo) ([]*mesos.ExecutorInfo, []*mesos.FrameworkInfo) {
	seen := map[string]bool{}
	for _, fi := range fws {
		seen[fi.GetId().GetValue()] = true
	}
	var out []*mesos.ExecutorInfo
	a.eachCustomExecutor(func(ex *executor) {
		out = append(out, executorInfo(ex))
		if !seen[ex.frameworkID] {
			seen[ex.frameworkID] = true
			fws = append(fws, a.frameworks[ex.frameworkID].info)
		}
	})
	return out, fws
}
