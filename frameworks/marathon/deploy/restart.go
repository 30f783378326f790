package deploy

import (
	"math"
	"time"

	"github.com/agoraproject/agora/frameworks/marathon/app"
)

// Instance is one instance of an app as the restart and kill decisions see
// it. Healthy means running and passing its health checks (or running, for
// an app without health checks); the caller computes it.
type Instance struct {
	ID        string
	Version   string
	Running   bool
	Healthy   bool
	StartedAt time.Time
}

// RestartInput is what a rolling-restart decision looks at: the target
// instance count and version, the strategy bounds, every instance of the
// app (old and new versions), and how many new-version launches were
// requested and have not yet shown up among the instances.
type RestartInput struct {
	Target        int
	NewVersion    string
	Strategy      app.UpgradeStrategy
	Instances     []Instance
	Pending       int
	KillSelection string
}

// RestartDecision is what to do now: launch that many new-version
// instances, kill these instances. Done says the restart is complete (no
// old instance left, Target new ones healthy); nothing is to be done then.
type RestartDecision struct {
	Launch int
	Kill   []string
	Done   bool
}

// Bounds are a restart's capacity limits for a target count: at least
// MinHealthy healthy instances while old ones remain, at most MaxTotal
// instances (running, starting or requested).
type Bounds struct {
	MinHealthy int
	MaxTotal   int
}

// RestartBounds computes the bounds. When they leave no room to move
// (MinHealthy = MaxTotal, e.g. minimumHealthCapacity 1 with
// maximumOverCapacity 0), one extra instance is allowed, as in Marathon:
// otherwise the restart could neither start a new instance nor stop an old
// one.
func RestartBounds(target int, s app.UpgradeStrategy) Bounds {
	b := Bounds{
		MinHealthy: int(math.Ceil(float64(target)*s.MinimumHealthCapacity - 1e-9)),
		MaxTotal:   int(math.Floor(float64(target)*(1+s.MaximumOverCapacity) + 1e-9)),
	}
	b.MinHealthy = min(max(b.MinHealthy, 0), target)
	b.MaxTotal = max(b.MaxTotal, target)
	if target > 0 && b.MinHealthy >= b.MaxTotal {
		b.MaxTotal = b.MinHealthy + 1
	}
	return b
}

// Restart decides the next move of a rolling restart. It is called again
// whenever an instance starts, becomes healthy or dies, and returns only
// what is allowed now:
//
//   - old instances that are not healthy may always be killed (they hold no
//     capacity the strategy protects); healthy old ones only while the
//     healthy count stays at or above MinHealthy;
//   - new instances are launched up to Target, without the total exceeding
//     MaxTotal after the kills;
//   - surplus new instances (more than Target) are killed.
func Restart(in RestartInput) RestartDecision {
	b := RestartBounds(in.Target, in.Strategy)
	var oldUnhealthy, oldHealthy, newer []Instance
	healthy, newHealthy := 0, 0
	for _, i := range in.Instances {
		if i.Healthy {
			healthy++
		}
		switch {
		case i.Version == in.NewVersion:
			newer = append(newer, i)
			if i.Healthy {
				newHealthy++
			}
		case i.Healthy:
			oldHealthy = append(oldHealthy, i)
		default:
			oldUnhealthy = append(oldUnhealthy, i)
		}
	}
	pending := max(in.Pending, 0)
	old := len(oldHealthy) + len(oldUnhealthy)
	if old == 0 && pending == 0 && len(newer) == in.Target && newHealthy == in.Target {
		return RestartDecision{Done: true}
	}

	var kill []string
	for _, i := range oldUnhealthy {
		kill = append(kill, i.ID)
	}
	// Healthy old instances: enough that the healthy count does not drop
	// below the minimum; all of them once the new ones alone suffice.
	killHealthy := min(len(oldHealthy), max(healthy-b.MinHealthy, 0))
	kill = append(kill, SelectKills(oldHealthy, killHealthy, in.KillSelection)...)
	if surplus := len(newer) + pending - in.Target; surplus > 0 {
		kill = append(kill, SelectKills(newer, min(surplus, len(newer)), in.KillSelection)...)
	}

	total := len(in.Instances) + pending - len(kill)
	missing := in.Target - (len(newer) + pending)
	launch := max(0, min(missing, b.MaxTotal-total))
	return RestartDecision{Launch: launch, Kill: kill}
}
