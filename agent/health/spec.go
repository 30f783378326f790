// Package health runs Mesos-native task health checks (TaskInfo.
// health_check) for the agent: COMMAND checks run a command in the task's
// sandbox with the task's environment (exit 0 is healthy), HTTP checks GET
// http(s)://127.0.0.1:<port><path> (2xx and 3xx are healthy; redirects are
// followed and certificates are not verified, as Mesos's curl -L -k), TCP
// checks connect to 127.0.0.1:<port>.
//
// The timing is Mesos's: the first check runs delay_seconds (15) after the
// checker starts, each next one interval_seconds (10) after the previous
// one finished, and a check running longer than timeout_seconds (20; 0 is
// no limit) fails. Failures are ignored during grace_period_seconds (10)
// from the start until the first success. A Report follows the first
// success, the first success after failures, and every counted failure;
// a failure that makes consecutive_failures (3) in a row asks for the kill.
//
// Checker is the pure core (outcomes and times in, reports out); Run is
// the shell that sleeps on an injected clock and runs the probes, which
// are the only part touching processes and sockets. The package does not
// send status updates or kill tasks: the agent turns Reports into
// TASK_RUNNING updates with `healthy` set and kills the task.
package health

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// MinInterval is the shortest time between two checks. Mesos accepts an
// interval of 0, which would run checks back to back, forking a process
// or opening a connection in a tight loop for every such task.
const MinInterval = 100 * time.Millisecond

// Spec is a validated health check's timing, with Mesos's defaults for
// the fields the check leaves out.
type Spec struct {
	Type        mesos.HealthCheck_Type
	Delay       time.Duration
	Interval    time.Duration
	Timeout     time.Duration // 0: none
	GracePeriod time.Duration
	// ConsecutiveFailures in a row ask for the kill; with 0 the first
	// counted failure does, as in Mesos.
	ConsecutiveFailures int
}

// SpecOf returns hc's timing; hc must have passed Validate.
func SpecOf(hc *mesos.HealthCheck) Spec {
	return Spec{
		Type:                hc.GetType(),
		Delay:               seconds(hc.GetDelaySeconds()),
		Interval:            max(seconds(hc.GetIntervalSeconds()), MinInterval),
		Timeout:             seconds(hc.GetTimeoutSeconds()),
		GracePeriod:         seconds(hc.GetGracePeriodSeconds()),
		ConsecutiveFailures: int(hc.GetConsecutiveFailures()),
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// maxSeconds bounds durations so that they fit a time.Duration (about 292
// years) with room to add them to a time.
const maxSeconds = 100 * 365 * 24 * 3600

// Validate reports what is wrong with a health check, in the words of
// Mesos's validation where it has them. A nil check is valid.
func Validate(hc *mesos.HealthCheck) error {
	if hc == nil {
		return nil
	}
	switch hc.GetType() {
	case mesos.HealthCheck_COMMAND:
		if err := validateCommand(hc.GetCommand()); err != nil {
			return err
		}
	case mesos.HealthCheck_HTTP:
		h := hc.GetHttp()
		switch {
		case h == nil:
			return errors.New("Expecting 'http' to be set for HTTP health check")
		case h.Scheme != nil && h.GetScheme() != "http" && h.GetScheme() != "https":
			return fmt.Errorf("Unsupported HTTP health check scheme: '%s'", h.GetScheme())
		case h.Path != nil && !strings.HasPrefix(h.GetPath(), "/"):
			return fmt.Errorf("The path '%s' of HTTP health check must start with '/'", h.GetPath())
		case h.GetPort() == 0 || h.GetPort() > 65535:
			return fmt.Errorf("Expecting 'http.port' to be a port number (1-65535), got %d", h.GetPort())
		}
	case mesos.HealthCheck_TCP:
		switch t := hc.GetTcp(); {
		case t == nil:
			return errors.New("Expecting 'tcp' to be set for TCP health check")
		case t.GetPort() == 0 || t.GetPort() > 65535:
			return fmt.Errorf("Expecting 'tcp.port' to be a port number (1-65535), got %d", t.GetPort())
		}
	default:
		if hc.Type == nil {
			return errors.New("HealthCheck must specify 'type'")
		}
		return fmt.Errorf("'%s' is not a valid health check type", hc.GetType())
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"delay_seconds", hc.GetDelaySeconds()},
		{"interval_seconds", hc.GetIntervalSeconds()},
		{"timeout_seconds", hc.GetTimeoutSeconds()},
		{"grace_period_seconds", hc.GetGracePeriodSeconds()},
	} {
		// !(v >= 0) also catches NaN.
		if !(f.v >= 0) || math.IsInf(f.v, 0) || f.v > maxSeconds {
			return fmt.Errorf("Expecting '%s' to be non-negative and finite, got %v", f.name, f.v)
		}
	}
	return nil
}

func validateCommand(c *mesos.CommandInfo) error {
	switch {
	case c == nil:
		return errors.New("Expecting 'command' to be set for COMMAND health check")
	case c.GetValue() == "" && c.GetShell():
		return errors.New("Command health check must contain 'shell command'")
	case c.GetValue() == "":
		return errors.New("Command health check must contain 'executable path'")
	case len(c.GetUris()) > 0:
		// Nothing fetches them: a check's command runs in the task's sandbox.
		return errors.New("Health check's `CommandInfo` must not have 'uris'")
	}
	for _, v := range c.GetEnvironment().GetVariables() {
		name := v.GetName()
		switch {
		case name == "" || strings.ContainsAny(name, "=\x00"):
			return fmt.Errorf("Health check's `CommandInfo` is invalid: environment variable name %q", name)
		case v.GetType() == mesos.Environment_Variable_SECRET || v.GetSecret() != nil:
			return fmt.Errorf("Health check's `CommandInfo` is invalid: environment variable %s: secrets are not supported", name)
		}
	}
	return nil
}
