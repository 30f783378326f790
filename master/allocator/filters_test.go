package allocator_test

import (
	"testing"
	"time"

	"github.com/agoraproject/agora/master/allocator"
)

func TestFilters(t *testing.T) {
	const whole = "F1@A1/r cpus:4;mem:1024"
	remainder := withRole("r", rs("cpus:3;mem:896"))
	task := withRole("r", rs("cpus:1;mem:128"))
	cases := []struct {
		name string
		act  func(a *allocator.Allocator, offers []allocator.Offer)
		at   time.Duration // the next cycle runs at t0+at
		want []string
	}{
		{
			name: "decline blocks until expiry",
			act:  func(a *allocator.Allocator, o []allocator.Offer) { declineAll(a, o, 10*time.Second, t0) },
			at:   9999 * time.Millisecond,
		},
		{
			name: "expiry lifts",
			act:  func(a *allocator.Allocator, o []allocator.Offer) { declineAll(a, o, 10*time.Second, t0) },
			at:   10 * time.Second,
			want: []string{whole},
		},
		{
			name: "no refuse, no filter",
			act:  func(a *allocator.Allocator, o []allocator.Offer) { declineAll(a, o, 0, t0) },
			want: []string{whole},
		},
		{
			name: "refused remainder stays blocked",
			act: func(a *allocator.Allocator, o []allocator.Offer) {
				a.Recover("F1", "A1", remainder, 10*time.Second, t0) // launched task, declined the rest
			},
			at: time.Second,
		},
		{
			name: "more free resources lift",
			act: func(a *allocator.Allocator, o []allocator.Offer) {
				a.Recover("F1", "A1", remainder, 10*time.Second, t0)
				a.Recover("F1", "A1", task, 0, t0.Add(500*time.Millisecond)) // task ended
			},
			at:   time.Second,
			want: []string{whole},
		},
		{
			name: "revive clears",
			act: func(a *allocator.Allocator, o []allocator.Offer) {
				declineAll(a, o, time.Hour, t0)
				a.Revive("F1", nil)
			},
			at:   time.Second,
			want: []string{whole},
		},
		{
			name: "refuse capped at 365 days",
			act: func(a *allocator.Allocator, o []allocator.Offer) {
				declineAll(a, o, 1000*24*time.Hour, t0)
			},
			at:   365 * 24 * time.Hour,
			want: []string{whole},
		},
		{
			name: "filter of another framework does not block",
			act: func(a *allocator.Allocator, o []allocator.Offer) {
				declineAll(a, o, time.Hour, t0)
				a.AddFramework("F2", []string{"r"}, nil)
			},
			at:   time.Second,
			want: []string{"F2@A1/r cpus:4;mem:1024"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := allocator.New(allocator.Config{})
			a.AddAgent("A1", rs("cpus:4;mem:1024"), nil)
			a.AddFramework("F1", []string{"r"}, nil)
			first := a.Allocate(t0)
			expectOffers(t, first, whole)
			tc.act(a, first)
			expectOffers(t, a.Allocate(t0.Add(tc.at)), tc.want...)
		})
	}
}

func TestFilterIsPerAgentAndRole(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddAgent("A2", rs("cpus:2;mem:64"), nil)
	a.AddFramework("F1", []string{"a", "b"}, nil)
	offers := a.Allocate(t0)
	expectOffers(t, offers, "F1@A1/a cpus:1;mem:64", "F1@A2/b cpus:2;mem:64")

	// Decline A1 in role a only; A2 is recovered without a filter.
	declineAll(a, offers[:1], time.Hour, t0)
	declineAll(a, offers[1:], 0, t0)
	// Both roles are at share 0 again, a first by name: A1 is filtered for
	// (F1, a) so goes to b; A2 goes to a, now the lower share.
	expectOffers(t, a.Allocate(t0.Add(time.Second)), "F1@A1/b cpus:1;mem:64", "F1@A2/a cpus:2;mem:64")
}

func TestReviveClearsOnlyGivenRoles(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddFramework("F1", []string{"a", "b"}, nil)
	first := a.Allocate(t0)
	expectOffers(t, first, "F1@A1/a cpus:1;mem:64")
	declineAll(a, first, time.Hour, t0)
	second := a.Allocate(t0)
	expectOffers(t, second, "F1@A1/b cpus:1;mem:64")
	declineAll(a, second, time.Hour, t0)
	expectOffers(t, a.Allocate(t0))

	a.Revive("F1", []string{"b"})
	expectOffers(t, a.Allocate(t0), "F1@A1/b cpus:1;mem:64")
}

func TestFilterDroppedWhenRoleLeft(t *testing.T) {
	a := allocator.New(allocator.Config{})
	a.AddAgent("A1", rs("cpus:1;mem:64"), nil)
	a.AddFramework("F1", []string{"a"}, nil)
	declineAll(a, a.Allocate(t0), time.Hour, t0)
	a.UpdateFramework("F1", []string{"b"}, nil)
	a.UpdateFramework("F1", []string{"a"}, nil)
	expectOffers(t, a.Allocate(t0), "F1@A1/a cpus:1;mem:64")
}
