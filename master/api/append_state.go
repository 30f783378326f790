package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agoraproject/agora/master"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/mesosjson"
	"github.com/agoraproject/agora/proto/resources"
)

// The task and executor objects of /master/state are written straight
// from the task's view: the bytes encoding/json gives renderTask's
// taskObject and sandboxes.go's executorObject (append_test.go compares),
// without reflection, maps or copies of the resources. That means
// encoding/json's rules: keys in the objects' order, strings with <, > and
// & escaped, the embedded Mesos JSON (statuses, labels, ...) with the same
// three escaped, numbers as encoding/json writes a float64.

// appendStateTask appends mustJSON(renderTask(t)).
func appendStateTask(b []byte, t *master.TaskView) []byte {
	var fc *flatCache
	return fc.appendStateTask(b, t)
}

// appendStateTask is appendStateTask with c's memo of flattened
// resources (nil: none).
func (c *flatCache) appendStateTask(b []byte, t *master.TaskView) []byte {
	b = append(b, '{')
	info := t.Info
	if info != nil && info.Container != nil {
		b = appendEmbedded(append(b, `"container":`...), func(b []byte) []byte {
			b, _ = mesosjson.AppendMarshal(b, info.Container)
			return b
		})
		b = append(b, ',')
	}
	if info != nil && info.Discovery != nil {
		b = appendEmbedded(append(b, `"discovery":`...), func(b []byte) []byte {
			b, _ = mesosjson.AppendMarshal(b, info.Discovery)
			return b
		})
		b = append(b, ',')
	}
	b = appendGoString(append(b, `"executor_id":`...), t.ExecutorID)
	b = appendGoString(append(b, `,"framework_id":`...), t.FrameworkID)
	b = appendGoString(append(b, `,"id":`...), t.ID)
	if info != nil && info.Labels != nil {
		start := len(b) + len(`,"labels":`)
		b = appendLabelsJSON(append(b, `,"labels":`...), info.Labels)
		b = escapeHTMLFrom(b, start)
	}
	b = appendGoString(append(b, `,"name":`...), t.Name)
	b = c.appendFlatResources(append(b, `,"resources":`...), t.Resources, false)
	b = appendGoString(append(b, `,"role":`...), t.Role)
	b = appendGoString(append(b, `,"slave_id":`...), t.AgentID)
	b = append(b, `,"state":`...)
	if q := taskStates.name(int32(t.State)); q != nil {
		b = append(b, q...)
	} else {
		b = appendGoString(b, t.State.String())
	}
	b = append(b, `,"statuses":[`...)
	ids := t.IDs()
	for i := range t.Statuses {
		if i > 0 {
			b = append(b, ',')
		}
		start := len(b)
		b = escapeHTMLFrom(appendStatusJSON(b, &t.Statuses[i], ids), start)
	}
	return append(b, "]}"...)
}

// appendCommandExecutor appends the /master/state object of a command
// task's executor, whose ID is the task's.
func appendCommandExecutor(b []byte, t *master.TaskView, frameworkID, workDir string) []byte {
	var fc *flatCache
	return fc.appendCommandExecutor(b, t, frameworkID, workDir)
}

// appendCommandExecutor is appendCommandExecutor with c's memo of
// flattened resources (nil: none).
func (c *flatCache) appendCommandExecutor(b []byte, t *master.TaskView, frameworkID, workDir string) []byte {
	if !joinsPlainly(workDir, t.AgentID, frameworkID, t.ID) {
		return c.appendExecutorObject(b, executorObject{
			ID: t.ID, ExecutorID: t.ID, Name: "Command Executor (Task: " + t.ID + ")", Type: "COMMAND",
			FrameworkID: frameworkID, SlaveID: t.AgentID,
			Directory: sandboxDirectory(workDir, t.AgentID, frameworkID, t.ID),
		}, t.Resources)
	}
	// The same bytes without building the directory and name strings: a
	// cold read writes 100,000 of them. Escaping a concatenation is
	// concatenating the escapes when the joints are ASCII.
	b = append(b, `{"directory":"`...)
	if workDir != "" {
		b = appendGoChars(b, workDir)
		b = appendGoChars(append(b, "/slaves/"...), t.AgentID)
		b = appendGoChars(append(b, "/frameworks/"...), frameworkID)
		b = appendGoChars(append(b, "/executors/"...), t.ID)
		b = append(b, "/runs/latest"...)
	}
	b = appendGoString(append(b, `","executor_id":`...), t.ID)
	b = appendGoString(append(b, `,"framework_id":`...), frameworkID)
	b = appendGoString(append(b, `,"id":`...), t.ID)
	b = appendGoChars(append(b, `,"name":"Command Executor (Task: `...), t.ID)
	b = c.appendFlatResources(append(b, `)","resources":`...), t.Resources, true)
	b = appendGoString(append(b, `,"slave_id":`...), t.AgentID)
	return append(b, `,"type":"COMMAND"}`...)
}

// joinsPlainly reports whether sandboxDirectory(workDir, ids...) is their
// concatenation with the fixed names between: workDir is empty, or clean
// and not the root, and each ID is a single path element.
func joinsPlainly(workDir string, ids ...string) bool {
	if workDir != "" && (workDir == "/" || path.Clean(workDir) != workDir) {
		return false
	}
	for _, id := range ids {
		if id == "" || id == "." || id == ".." || strings.IndexByte(id, '/') >= 0 {
			return false
		}
	}
	return true
}

// appendExecutorObject appends mustJSON(o) with o.Resources the flattened
// sum of res (resources.Flatten(resources.Add(nil, StripAllocation(res)))).
func (c *flatCache) appendExecutorObject(b []byte, o executorObject, res []*mesos.Resource) []byte {
	b = appendGoString(append(b, `{"directory":`...), o.Directory)
	b = appendGoString(append(b, `,"executor_id":`...), o.ExecutorID)
	b = appendGoString(append(b, `,"framework_id":`...), o.FrameworkID)
	b = appendGoString(append(b, `,"id":`...), o.ID)
	b = appendGoString(append(b, `,"name":`...), o.Name)
	b = c.appendFlatResources(append(b, `,"resources":`...), res, true)
	b = appendGoString(append(b, `,"slave_id":`...), o.SlaveID)
	b = appendGoString(append(b, `,"type":`...), o.Type)
	return append(b, '}')
}

// appendEmbedded appends what enc appends, with encoding/json's escapes of
// an embedded json.RawMessage.
func appendEmbedded(b []byte, enc func([]byte) []byte) []byte {
	start := len(b)
	return escapeHTMLFrom(enc(b), start)
}

// escapeHTMLFrom escapes <, > and & in b[start:] as encoding/json does
// when it copies a json.RawMessage (mesosjson has escaped U+2028 and
// U+2029 already).
func escapeHTMLFrom(b []byte, start int) []byte {
	at := indexHTML(b[start:])
	if at < 0 {
		return b
	}
	tail := bytes.Clone(b[start+at:])
	b = b[:start+at]
	for _, c := range tail {
		if c == '<' || c == '>' || c == '&' {
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}

// indexHTML is the index of the first <, > or & in p (-1: none): three
// vectorized byte scans, several times faster than bytes.IndexAny's byte
// by byte over the statuses of a cold read.
func indexHTML(p []byte) int {
	at := -1
	for _, c := range [...]byte{'<', '>', '&'} {
		if i := bytes.IndexByte(p, c); i >= 0 {
			at, p = i, p[:i]
		}
	}
	return at
}

const hexDigits = "0123456789abcdef"

// goStringSafe marks the bytes appendGoString copies unchanged.
var goStringSafe = func() (safe [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		safe[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return safe
}()

// appendGoString appends s as encoding/json writes a string (with HTML
// escaping, as json.Marshal does).
func appendGoString(b []byte, s string) []byte {
	return append(appendGoChars(append(b, '"'), s), '"')
}

// appendGoChars is appendGoString without the quotes.
func appendGoChars(b []byte, s string) []byte {
	i := 0
	for i < len(s) && goStringSafe[s[i]] {
		i++
	}
	if i == len(s) { // nearly every ID, name and path
		return append(b, s...)
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if goStringSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// flatTotal is one key of a flattened total: scalars in thousandths, or
// ranges.
type flatTotal struct {
	key    string
	ranges bool
	milli  int64
	spans  [][2]uint64
}

// Fixed point as package resources sums scalars.
const (
	maxFlatMilli = 1 << 53
	maxFlatValue = float64(maxFlatMilli) / 1000
)

// appendFlatResources appends the object encoding/json gives
// resources.Flatten(rs) (summed: of resources.Flatten(resources.Add(nil,
// rs))), allocation ignored, as the state's objects render resources.
// Plain scalars and ranges, nearly every task's and agent's, are totalled
// here; the rest goes through package resources.
func appendFlatResources(b []byte, rs []*mesos.Resource, summed bool) []byte {
	var buf [8]flatTotal
	flat := append(buf[:0],
		flatTotal{key: "cpus"}, flatTotal{key: "disk"}, flatTotal{key: "gpus"}, flatTotal{key: "mem"})
	always := len(flat)
	for _, r := range rs {
		ranges, ok := flatPlain(r)
		if !ok {
			return appendFlatMap(b, rs, summed)
		}
		key := r.GetName()
		if r.Revocable != nil {
			key += "_revocable"
		}
		i := 0
		for i < len(flat) && flat[i].key != key {
			i++
		}
		switch {
		case i == len(flat):
			flat = append(flat, flatTotal{key: key, ranges: ranges})
		case i < always && ranges && flat[i].milli == 0 && !flat[i].ranges:
			// cpus, disk, gpus or mem as ranges: the first type seen
			// decides, which the defaults must not.
			return appendFlatMap(b, rs, summed)
		case flat[i].ranges != ranges:
			return appendFlatMap(b, rs, summed) // two types under one name
		}
		f := &flat[i]
		if ranges {
			for _, rg := range r.Ranges.Range {
				f.spans = append(f.spans, [2]uint64{rg.GetBegin(), rg.GetEnd()})
			}
		} else {
			f.milli = min(f.milli+flatMilli(r.GetScalar().GetValue()), maxFlatMilli)
		}
	}
	n := 0
	for i := range flat {
		// A sum drops items that are empty; the four keys are always
		// there.
		if summed && i >= always && (flat[i].milli == 0 && !flat[i].ranges || flat[i].ranges && len(flat[i].spans) == 0) {
			continue
		}
		flat[n] = flat[i]
		n++
	}
	flat = flat[:n]
	for i := 1; i < len(flat); i++ { // a handful of keys
		for j := i; j > 0 && flat[j].key < flat[j-1].key; j-- {
			flat[j], flat[j-1] = flat[j-1], flat[j]
		}
	}
	b = append(b, '{')
	for i := range flat {
		f := &flat[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendGoString(b, f.key), ':')
		if f.ranges {
			b = appendSpans(b, f.spans)
		} else {
			b = mesosjson.AppendDouble(b, float64(f.milli)/1000)
		}
	}
	return append(b, '}')
}

// appendSpans writes ranges in Mesos's text form, "[31000-32000,
// 33000-33010]", coalesced as package resources coalesces them.
func appendSpans(b []byte, spans [][2]uint64) []byte {
	if len(spans) > 1 {
		slices.SortFunc(spans, func(x, y [2]uint64) int { return cmp.Compare(x[0], y[0]) })
		out := spans[:1]
		for _, s := range spans[1:] {
			last := &out[len(out)-1]
			if last[1] == math.MaxUint64 || s[0] <= last[1]+1 {
				last[1] = max(last[1], s[1])
				continue
			}
			out = append(out, s)
		}
		spans = out
	}
	b = append(b, `"[`...)
	for i, s := range spans {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendUint(b, s[0], 10)
		b = append(b, '-')
		b = strconv.AppendUint(b, s[1], 10)
	}
	return append(b, `]"`...)
}

// flatPlain reports whether r is a scalar or ranges item package
// resources would accept and total by name alone, and which.
func flatPlain(r *mesos.Resource) (ranges, ok bool) {
	if r == nil || r.GetName() == "" || r.Type == nil || r.Set != nil || r.Disk != nil || r.Shared != nil || r.ProviderId != nil {
		return false, false
	}
	switch *r.Type {
	case mesos.Value_SCALAR:
		if r.Scalar == nil || r.Ranges != nil {
			return false, false
		}
		v := r.GetScalar().GetValue()
		return false, !math.IsNaN(v) && v >= 0 && v <= maxFlatValue
	case mesos.Value_RANGES:
		if r.Ranges == nil || r.Scalar != nil {
			return true, false
		}
		for _, rg := range r.Ranges.Range {
			if rg.GetBegin() > rg.GetEnd() {
				return true, false
			}
		}
		return true, true
	}
	return false, false
}

func flatMilli(v float64) int64 { return int64(math.Round(v * 1000)) }

// appendFlatMap is appendFlatResources through package resources.
func appendFlatMap(b []byte, rs []*mesos.Resource, summed bool) []byte {
	rs = resources.StripAllocation(rs)
	if summed {
		rs = resources.Add(nil, rs)
	}
	m := resources.Flatten(rs)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendGoString(b, k), ':')
		switch v := m[k].(type) {
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				b = append(b, "null"...) // not a value Flatten gives
			} else {
				b = mesosjson.AppendDouble(b, v)
			}
		case string:
			b = appendGoString(b, v)
		default:
			enc, _ := json.Marshal(v)
			b = append(b, enc...)
		}
	}
	return append(b, '}')
}

// appendGoFloat appends a float64 as encoding/json writes it (the same
// form as mesosjson's for finite values).
func appendGoFloat(b []byte, f float64) []byte { return mesosjson.AppendDouble(b, f) }
