package codec

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Kind says why negotiation failed.
type Kind int

// Kinds of negotiation failure.
const (
	// MissingContentType: the request has no Content-Type (HTTP 400).
	MissingContentType Kind = iota + 1
	// UnsupportedMediaType: the Content-Type is neither JSON nor protobuf,
	// or cannot be parsed (HTTP 415).
	UnsupportedMediaType
	// NotAcceptable: Accept allows neither JSON nor protobuf (HTTP 406).
	NotAcceptable
)

// Error is returned by ForContentType and ForAccept.
type Error struct {
	Kind   Kind
	Header string // the offending header value
}

func (e *Error) Error() string {
	switch e.Kind {
	case MissingContentType:
		return "missing Content-Type header; expected " + MediaTypeJSON + " or " + MediaTypeProtobuf
	case UnsupportedMediaType:
		return fmt.Sprintf("unsupported Content-Type %q; expected %s or %s", e.Header, MediaTypeJSON, MediaTypeProtobuf)
	default:
		return fmt.Sprintf("Accept %q allows neither %s nor %s", e.Header, MediaTypeJSON, MediaTypeProtobuf)
	}
}

// HTTPStatus is the status code to answer with: 400, 415 or 406.
func (e *Error) HTTPStatus() int {
	switch e.Kind {
	case MissingContentType:
		return http.StatusBadRequest
	case UnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusNotAcceptable
	}
}

// ForContentType returns the codec of a request's Content-Type header.
// Parameters such as charset are ignored; the type is case-insensitive.
func ForContentType(header string) (Codec, error) {
	if strings.TrimSpace(header) == "" {
		return nil, &Error{Kind: MissingContentType}
	}
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return nil, &Error{Kind: UnsupportedMediaType, Header: header}
	}
	if c := byMediaType(mt); c != nil {
		return c, nil
	}
	return nil, &Error{Kind: UnsupportedMediaType, Header: header}
}

// ForAccept returns the codec to answer a request with, given its Accept
// header. Each supported type takes the quality of the most specific range
// that matches it (type/subtype over type/* over */*); the highest quality
// above zero wins. Ties, an empty header, and a header of */* go to
// fallback (JSON when fallback is nil); otherwise the type listed first
// wins a tie. Malformed ranges are skipped.
func ForAccept(header string, fallback Codec) (Codec, error) {
	if fallback == nil {
		fallback = JSON
	}
	if strings.TrimSpace(header) == "" {
		return fallback, nil
	}
	candidates := [2]struct {
		codec Codec
		q     float64
		spec  int // specificity of the matching range: 0 none, 1 */*, 2 type/*, 3 exact
		pos   int // index of the matching range in the header
	}{{codec: JSON}, {codec: Protobuf}}

	for pos, rng := range strings.Split(header, ",") {
		mt, params, err := mime.ParseMediaType(rng)
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		for i := range candidates {
			c := &candidates[i]
			spec := specificity(mt, c.codec.MediaType())
			if spec > c.spec {
				c.q, c.spec, c.pos = q, spec, pos
			}
		}
	}

	var best Codec
	bestQ, bestPos := 0.0, 0
	for _, c := range candidates {
		if c.spec == 0 || c.q <= 0 {
			continue
		}
		switch {
		case best == nil, c.q > bestQ:
		case c.q < bestQ:
			continue
		case c.codec == fallback:
		case best == fallback, c.pos >= bestPos:
			continue
		}
		best, bestQ, bestPos = c.codec, c.q, c.pos
	}
	if best == nil {
		return nil, &Error{Kind: NotAcceptable, Header: header}
	}
	return best, nil
}

// specificity says how closely a media range matches a media type.
func specificity(rng, mt string) int {
	switch {
	case rng == mt:
		return 3
	case rng == "*/*":
		return 1
	case strings.HasSuffix(rng, "/*") && strings.HasPrefix(mt, rng[:len(rng)-1]):
		return 2
	}
	return 0
}
