package scheduler

import (
	"context"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	schedpb "github.com/agoraproject/agora/proto/mesos/v1/scheduler"
)

// Handler receives every event of the subscription, one at a time, on the
// goroutine running Client.Run; the next event is not read until it returns.
//
// Returning an error does not end Run: it is logged, and for an UPDATE it
// withholds the automatic acknowledgement so that the agent resends the
// update later. To stop, call Client.Stop (or cancel Run's context).
type Handler interface {
	HandleEvent(ctx context.Context, c *Client, e *schedpb.Event) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Client, e *schedpb.Event) error

// HandleEvent calls f.
func (f HandlerFunc) HandleEvent(ctx context.Context, c *Client, e *schedpb.Event) error {
	return f(ctx, c, e)
}

// Callbacks is a Handler made of optional functions, one per event type.
// A nil function ignores its event. Other carries event types without a
// field of their own (inverse offers, operation status updates, types added
// to the API later).
type Callbacks struct {
	Subscribed func(ctx context.Context, c *Client, s *schedpb.Event_Subscribed) error
	Offers     func(ctx context.Context, c *Client, offers []*mesos.Offer) error
	Rescind    func(ctx context.Context, c *Client, offerID *mesos.OfferID) error
	Update     func(ctx context.Context, c *Client, status *mesos.TaskStatus) error
	Message    func(ctx context.Context, c *Client, m *schedpb.Event_Message) error
	Failure    func(ctx context.Context, c *Client, f *schedpb.Event_Failure) error
	// Error is told the master's message; Run then returns an *ErrorEvent
	// whatever Error returns.
	Error     func(ctx context.Context, c *Client, message string) error
	Heartbeat func(ctx context.Context, c *Client) error
	Other     func(ctx context.Context, c *Client, e *schedpb.Event) error
}

// HandleEvent dispatches e to the matching callback.
func (cb Callbacks) HandleEvent(ctx context.Context, c *Client, e *schedpb.Event) error {
	switch e.GetType() {
	case schedpb.Event_SUBSCRIBED:
		if cb.Subscribed != nil {
			return cb.Subscribed(ctx, c, e.GetSubscribed())
		}
	case schedpb.Event_OFFERS:
		if cb.Offers != nil {
			return cb.Offers(ctx, c, e.GetOffers().GetOffers())
		}
	case schedpb.Event_RESCIND:
		if cb.Rescind != nil {
			return cb.Rescind(ctx, c, e.GetRescind().GetOfferId())
		}
	case schedpb.Event_UPDATE:
		if cb.Update != nil {
			return cb.Update(ctx, c, e.GetUpdate().GetStatus())
		}
	case schedpb.Event_MESSAGE:
		if cb.Message != nil {
			return cb.Message(ctx, c, e.GetMessage())
		}
	case schedpb.Event_FAILURE:
		if cb.Failure != nil {
			return cb.Failure(ctx, c, e.GetFailure())
		}
	case schedpb.Event_ERROR:
		if cb.Error != nil {
			return cb.Error(ctx, c, e.GetError().GetMessage())
		}
	case schedpb.Event_HEARTBEAT:
		if cb.Heartbeat != nil {
			return cb.Heartbeat(ctx, c)
		}
	default:
		if cb.Other != nil {
			return cb.Other(ctx, c, e)
		}
	}
	return nil
}
