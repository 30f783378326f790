package master

import (
	"fmt"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// launchRefusal says why a launch must fail under Config.RefuseRootTasks
// and Config.RefusePrivilegedContainers, or "". It looks at every process
// the launch starts: a command task runs as its command's user, an
// executor as its own command's user, each else as the framework's user.
// A process with no user at all would run as the agent's own user, which
// is root on most agents, so it is refused too.
func (m *Master) launchRefusal(f *frameworkRecord, cmd *mesos.CommandInfo, container *mesos.ContainerInfo, exec *mesos.ExecutorInfo) string {
	frameworkUser := f.info.GetUser()
	if m.cfg.RefuseRootTasks {
		if cmd != nil {
			if msg := rootUser("task", cmd.GetUser(), frameworkUser); msg != "" {
				return msg
			}
		}
		if exec != nil {
			if msg := rootUser("executor", exec.GetCommand().GetUser(), frameworkUser); msg != "" {
				return msg
			}
		}
	}
	if m.cfg.RefusePrivilegedContainers {
		for _, c := range []*mesos.ContainerInfo{container, exec.GetContainer()} {
			if c.GetDocker().GetPrivileged() {
				return "privileged Docker containers are not allowed on this cluster (the master runs without --allow_privileged_containers)"
			}
		}
	}
	return ""
}

// rootUser names the problem when a process would run as root.
func rootUser(what, user, frameworkUser string) string {
	source := "its command's user"
	if user == "" {
		user, source = frameworkUser, "the framework's user"
	}
	switch user {
	case "":
		return fmt.Sprintf("the %s has no user (neither CommandInfo.user nor FrameworkInfo.user is set), so it would run as the agent's user, possibly root; tasks may not run as root on this cluster (the master runs without --allow_root_tasks)", what)
	case "root", "0":
		return fmt.Sprintf("the %s would run as root (%s is %q); tasks may not run as root on this cluster (the master runs without --allow_root_tasks)", what, source, user)
	}
	return ""
}
