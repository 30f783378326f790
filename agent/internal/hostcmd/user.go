package hostcmd

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// Credential returns the credentials to run a task as the named user:
// its uid, primary gid and supplementary groups from the host's user
// database. It returns nil when there is nothing to switch: no user, the
// agent's own user, or an agent that is not root (which cannot switch and
// runs tasks as itself, as Mesos does without --switch_user). An unknown
// user is an error, so the task fails to launch instead of running as root.
func Credential(name string) (*syscall.Credential, error) {
	if name == "" || os.Geteuid() != 0 {
		return nil, nil
	}
	cred, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if cred.Uid == 0 && cred.Gid == 0 {
		return nil, nil // root already
	}
	return cred, nil
}

// Lookup returns the named user's uid, primary gid and supplementary
// groups from the host's user database, whoever the agent runs as (the
// Docker containerizer runs tasks as that uid:gid in their containers).
func Lookup(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("failed to find user %q on the agent: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %q has a non-numeric uid %q", name, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %q has a non-numeric gid %q", name, u.Gid)
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("failed to find the groups of user %q: %w", name, err)
	}
	groups := make([]uint32, 0, len(ids))
	for _, id := range ids {
		g, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %q is in a group with a non-numeric gid %q", name, id)
		}
		groups = append(groups, uint32(g))
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}
