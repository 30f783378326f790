// Package httpapi is the request intake shared by Agora's Mesos-style v1
// HTTP APIs (the scheduler API and agent protocol on the master, the
// executor and operator APIs on the agent): the POST check, content
// negotiation, a bounded body, decoding, and plain-text errors with
// Mesos's status codes. It knows nothing of what the calls mean.
package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/proto/codec"
)

// Error answers with a plain-text message.
func Error(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

// Negotiate picks the request and response codecs of a call, answering
// 405, 400, 415 or 406 itself when it cannot. Like Mesos, a request
// without Accept gets JSON back.
func Negotiate(w http.ResponseWriter, r *http.Request) (req, resp codec.Codec, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		Error(w, http.StatusMethodNotAllowed, "Expecting a 'POST' request, received '"+r.Method+"'")
		return nil, nil, false
	}
	req, err := codec.ForContentType(r.Header.Get("Content-Type"))
	if err == nil {
		resp, err = codec.ForAccept(r.Header.Get("Accept"), codec.JSON)
	}
	var ce *codec.Error
	switch {
	case err == nil:
		return req, resp, true
	case !errors.As(err, &ce):
		Error(w, http.StatusBadRequest, err.Error())
	case ce.Kind == codec.MissingContentType:
		Error(w, ce.HTTPStatus(), "Expecting 'Content-Type' to be present: "+ce.Error())
	case ce.Kind == codec.UnsupportedMediaType:
		Error(w, ce.HTTPStatus(), "Expecting 'Content-Type' of application/json or application/x-protobuf: "+ce.Error())
	default:
		Error(w, ce.HTTPStatus(), "Expecting 'Accept' to allow application/json or application/x-protobuf: "+ce.Error())
	}
	return nil, nil, false
}

// ReadBody reads a body of at most max bytes, answering 413 when it is
// larger and 400 when it cannot be read.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			Error(w, http.StatusRequestEntityTooLarge, "Request body exceeds the limit of "+strconv.FormatInt(max, 10)+" bytes")
			return nil, false
		}
		Error(w, http.StatusBadRequest, "Failed to read request body: "+err.Error())
		return nil, false
	}
	return body, true
}

// DecodeOptions tune DecodeCall.
type DecodeOptions struct {
	// MaxBody bounds the request body.
	MaxBody int64
	// What names the call type in parse errors ("Call", "executor Call").
	What string
	// AllowPartial accepts protobuf bodies with required fields missing,
	// for APIs whose own validation names the missing field.
	AllowPartial bool
}

// DecodeCall negotiates, reads the bounded body and decodes it into call,
// answering the client itself when any step fails. It returns the codec
// the response must use.
func DecodeCall(w http.ResponseWriter, r *http.Request, call proto.Message, o DecodeOptions) (codec.Codec, bool) {
	reqCodec, respCodec, ok := Negotiate(w, r)
	if !ok {
		return nil, false
	}
	body, ok := ReadBody(w, r, o.MaxBody)
	if !ok {
		return nil, false
	}
	var err error
	if o.AllowPartial && reqCodec == codec.Protobuf {
		err = proto.UnmarshalOptions{AllowPartial: true}.Unmarshal(body, call)
	} else {
		err = reqCodec.Unmarshal(body, call)
	}
	if err != nil {
		Error(w, http.StatusBadRequest, "Failed to parse body into "+o.What+": "+err.Error())
		return nil, false
	}
	return respCodec, true
}
