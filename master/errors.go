package master

import "fmt"

// ErrorKind classifies a refused request; master/api maps kinds to HTTP
// status codes in one place.
type ErrorKind int

const (
	// KindInvalid is a malformed or inconsistent request (HTTP 400).
	KindInvalid ErrorKind = iota + 1
	// KindForbidden is a request the caller may not make now (HTTP 403).
	KindForbidden
	// KindNotFound names something the master does not know (HTTP 404).
	KindNotFound
	// KindUnavailable means the master cannot serve now (HTTP 503).
	KindUnavailable
)

// Error is a request the master refused, with a message naming the problem.
type Error struct {
	Kind ErrorKind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func invalidf(format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Msg: fmt.Sprintf(format, args...)}
}

func forbiddenf(format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Msg: fmt.Sprintf(format, args...)}
}
