package health

import (
	"fmt"
	"time"
)

// Report is what a check's outcome means for the task.
type Report struct {
	Healthy bool
	// ConsecutiveFailures counts the failures in a row, this one included;
	// 0 when healthy.
	ConsecutiveFailures int
	// Kill is set when the failures reached the check's
	// consecutive_failures: the task must be killed.
	Kill bool
	// Message explains a failure; "" when healthy.
	Message string
}

// Checker decides, from the outcomes of probes and the times they ended,
// when to probe next and what to report. It is a pure state machine: it
// never reads a clock, starts nothing and is not safe for concurrent use.
type Checker struct {
	spec  Spec
	start time.Time
	next  time.Time
	// initializing lasts until the first success; the grace period only
	// applies while it does, as in Mesos.
	initializing bool
	failures     int
}

// NewChecker returns a checker started at now: the first probe is due
// after the check's delay.
func NewChecker(spec Spec, now time.Time) *Checker {
	return &Checker{spec: spec, start: now, next: now.Add(spec.Delay), initializing: true}
}

// Next is when the next probe is due.
func (c *Checker) Next() time.Time { return c.next }

// Done records the outcome of a probe that ended at now (err nil for a
// healthy one) and schedules the next probe an interval later. It returns
// the report to send, if any: the first success, the first success after
// failures, and every failure outside the grace period.
func (c *Checker) Done(now time.Time, err error) (Report, bool) {
	c.next = now.Add(c.spec.Interval)
	if err == nil {
		if !c.initializing && c.failures == 0 {
			return Report{}, false // still healthy: nothing new to say
		}
		c.initializing, c.failures = false, 0
		return Report{Healthy: true}, true
	}
	if c.initializing && c.spec.GracePeriod > 0 && now.Sub(c.start) <= c.spec.GracePeriod {
		return Report{}, false // the task may still be starting up
	}
	c.failures++
	return Report{
		ConsecutiveFailures: c.failures,
		Kill:                c.failures >= c.spec.ConsecutiveFailures,
		Message: fmt.Sprintf("%s health check failed %d time(s) in a row (the task is killed after %d): %v",
			c.spec.Type, c.failures, max(c.spec.ConsecutiveFailures, 1), err),
	}, true
}
