package fetcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/agoraproject/agora/agent/internal/hostcmd"
)

// source is where one URI's bytes come from: an http(s) URL or a local
// file.
type source struct {
	uri   string
	url   *url.URL // http and https
	local string   // an absolute path otherwise
}

func parseSource(value string) (source, error) {
	s := source{uri: value}
	switch {
	case value == "":
		return s, errors.New("empty URI")
	case strings.ContainsRune(value, 0):
		return s, errors.New("NUL in URI")
	case filepath.IsAbs(value):
		s.local = filepath.Clean(value)
		return s, nil
	}
	u, err := url.Parse(value)
	if err != nil {
		return s, fmt.Errorf("malformed URI: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return s, errors.New("no host in the URI")
		}
		s.url = u
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return s, fmt.Errorf("file URI on host %q: only local files can be copied", u.Host)
		}
		if !filepath.IsAbs(u.Path) {
			return s, errors.New("file URI without an absolute path")
		}
		s.local = filepath.Clean(u.Path)
	case "":
		return s, errors.New("relative path: give an absolute path or a file:// URI")
	default:
		return s, fmt.Errorf("unsupported scheme %q: use http, https, file or an absolute path", u.Scheme)
	}
	return s, nil
}

// basename is the default destination: the URI's last path element,
// without the query (Mesos keeps the query in the name, which nobody
// wants: "app.tgz?token=x" would not even be recognised as an archive).
func (s source) basename() (string, error) {
	p := s.local
	if s.url != nil {
		p = s.url.Path
	}
	base := path.Base(p)
	if base == "." || base == "/" || base == ".." {
		return "", errors.New("the URI has no file name: set output_file")
	}
	return base, nil
}

// download writes src's content to w.
func (f *Fetcher) download(ctx context.Context, src source, own owner, w io.Writer) (int64, error) {
	if src.url == nil {
		return f.copyLocal(ctx, src.local, own, w)
	}
	return f.get(ctx, src.url.String(), w)
}

// stallError is why a download that received nothing for too long was
// aborted.
type stallError struct{ d time.Duration }

func (e stallError) Error() string {
	return fmt.Sprintf("download stalled: no data for %v", e.d)
}

// get downloads uri. A timer armed for StallTimeout and re-armed by every
// read that returns data aborts it once the server falls silent, whether
// before the headers or in the middle of the body.
func (f *Fetcher) get(ctx context.Context, uri string, w io.Writer) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	d := f.cfg.StallTimeout
	stall := time.AfterFunc(d, func() { cancel(stallError{d}) })
	defer stall.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return 0, err
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return 0, cause(ctx, err)
	}
	defer resp.Body.Close()
	// Like Mesos, anything but 200 is a failure: a 204 or 206 would leave
	// the task with a file that is not what it asked for.
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %s", resp.Status)
	}
	if f.cfg.MaxSize > 0 && resp.ContentLength > f.cfg.MaxSize {
		return 0, tooLarge(f.cfg.MaxSize)
	}
	body := &progressReader{r: resp.Body, progress: func() { stall.Reset(d) }}
	n, err := copyLimited(w, body, f.cfg.MaxSize)
	if err != nil {
		return n, cause(ctx, err)
	}
	return n, nil
}

// cause reports why a request failed: a stall rather than the transport's
// "context canceled", and the transport's error without the url.Error
// wrapper, which would repeat the URI the caller names anyway.
func cause(ctx context.Context, err error) error {
	var stalled stallError
	if errors.As(context.Cause(ctx), &stalled) {
		return stalled
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

type progressReader struct {
	r        io.Reader
	progress func()
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.progress()
	}
	return n, err
}

// copyLocal copies the regular file at p, as own is allowed to read it.
func (f *Fetcher) copyLocal(ctx context.Context, p string, own owner, w io.Writer) (int64, error) {
	in, err := own.open(p)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file", p)
	}
	if f.cfg.MaxSize > 0 && fi.Size() > f.cfg.MaxSize {
		return 0, tooLarge(f.cfg.MaxSize)
	}
	return copyLimited(w, ctxReader{ctx, in}, f.cfg.MaxSize)
}

// copyContext copies r to w until EOF or until ctx is done.
func copyContext(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	return io.Copy(w, ctxReader{ctx, r})
}

// ctxReader makes local copies, which never block, stop when the fetch is
// cancelled (a task killed while a large file is copied).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// copyLimited copies r to w, failing once more than max bytes (when max
// is positive) have come.
func copyLimited(w io.Writer, r io.Reader, max int64) (int64, error) {
	if max <= 0 {
		return io.Copy(w, r)
	}
	n, err := io.Copy(w, io.LimitReader(r, max+1))
	if err == nil && n > max {
		err = tooLarge(max)
	}
	return n, err
}

func tooLarge(max int64) error {
	return fmt.Errorf("larger than the limit of %d bytes", max)
}

// owner is the user a fetch is for.
type owner struct {
	name     string // the task's user; "" for the agent's own
	uid, gid int
	gids     []int // the primary and supplementary groups
	// act is set when the agent is root and fetches for another user: it
	// then checks that user's read permission on local files and chowns
	// what it writes.
	act bool
}

func lookupOwner(name string) (owner, error) {
	o := owner{name: name}
	if name == "" || os.Geteuid() != 0 {
		return o, nil
	}
	cred, err := hostcmd.Lookup(name)
	if err != nil {
		return o, fmt.Errorf("user %q: %w", name, err)
	}
	o.uid, o.gid = int(cred.Uid), int(cred.Gid)
	o.gids = []int{o.gid}
	for _, g := range cred.Groups {
		o.gids = append(o.gids, int(g))
	}
	o.act = o.uid != 0
	return o, nil
}

// open opens a local file for the owner. The agent runs as root, so the
// kernel would let it read anything: it checks the permission bits the
// kernel would check for the user instead (search on every directory on
// the way, read on the file), lest a framework fetch /etc/shadow. ACLs are
// not consulted.
//
// The file is opened first and its permissions are read from the opened
// file (fstat), so that a path element swapped for a symbolic link between
// the check and the open cannot redirect the agent to a file the user may
// not read: the final element is opened without following a link, and the
// directories checked are those of the file actually opened.
func (o owner) open(p string) (*os.File, error) {
	if !o.act {
		return os.Open(p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, err
	}
	if beforeOpen != nil {
		beforeOpen(real)
	}
	f, err := os.OpenFile(real, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s: changed into a symbolic link while being fetched", real)
		}
		return nil, err
	}
	if err := o.mayOpened(f, real); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// beforeOpen, when set by a test, runs between the resolution of a local
// path and its opening: it stands for a user who changes the path then.
var beforeOpen func(real string)

// mayOpened checks that the owner may read the opened file f, which was
// opened at path real: search on every directory of the path the kernel
// reports for the descriptor, read on the file itself from fstat.
func (o owner) mayOpened(f *os.File, real string) error {
	if at, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd())); err == nil && filepath.IsAbs(at) {
		real = at
	}
	for d := filepath.Dir(real); ; d = filepath.Dir(d) {
		if err := o.may(d, 0o1); err != nil {
			return err
		}
		if d == "/" {
			break
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return o.allows(real, fi, 0o4)
}

// may checks one permission bit (4 read, 1 search) of p for the owner.
func (o owner) may(p string, bit os.FileMode) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	return o.allows(p, fi, bit)
}

// allows checks one permission bit of fi, the status of p, for the owner:
// the owner bits if the user owns it, else the group bits if one of the
// user's groups does, else the others' bits.
func (o owner) allows(p string, fi os.FileInfo, bit os.FileMode) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: cannot read its owner", p)
	}
	perm := fi.Mode().Perm()
	switch {
	case int(st.Uid) == o.uid:
		perm >>= 6
	case slices.Contains(o.gids, int(st.Gid)):
		perm >>= 3
	}
	if perm&bit == 0 {
		return fmt.Errorf("%s: permission denied for user %s", p, o.name)
	}
	return nil
}
