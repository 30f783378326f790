package files

import (
	"io/fs"
	"os/user"
	"strconv"
	"syscall"
)

// modeString renders a mode as ls -l and Mesos do: the file type, then
// rwx for user, group and others ("-rw-r--r--", "drwxr-xr-x").
func modeString(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	}
	const rwx = "rwx"
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) != 0 {
			b[1+i] = rwx[i%3]
		}
	}
	return string(b)
}

// ownerNames turns uids and gids into names, as Mesos lists them, falling
// back to the number. It caches within one listing, where most entries
// share an owner.
type ownerNames struct {
	users, groups map[uint32]string
}

func (n *ownerNames) user(uid uint32) string {
	if name, ok := n.users[uid]; ok {
		return name
	}
	name := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	if n.users == nil {
		n.users = map[uint32]string{}
	}
	n.users[uid] = name
	return name
}

func (n *ownerNames) group(gid uint32) string {
	if name, ok := n.groups[gid]; ok {
		return name
	}
	name := strconv.FormatUint(uint64(gid), 10)
	if g, err := user.LookupGroupId(name); err == nil {
		name = g.Name
	}
	if n.groups == nil {
		n.groups = map[uint32]string{}
	}
	n.groups[gid] = name
	return name
}

// describe renders fi as a listing entry at the virtual path p.
func (n *ownerNames) describe(p string, fi fs.FileInfo) fileJSON {
	out := fileJSON{Path: p, Size: fi.Size(), Mtime: fi.ModTime().Unix(), Mode: modeString(fi.Mode()), Nlink: 1}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		out.Nlink = uint64(st.Nlink)
		out.UID, out.GID = n.user(st.Uid), n.group(st.Gid)
	}
	return out
}
