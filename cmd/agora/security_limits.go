package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/agoraproject/agora/master/api"
)

// bindLimits binds the master's launch policy and subscription limits.
func (sf *securityFlags) bindLimits(fs *flag.FlagSet) {
	fs.BoolVar(&sf.allowRoot, "allow_root_tasks", false, "let tasks and executors run as root (user root or uid 0, or with no user, which runs them as the agent's user); refused with TASK_ERROR otherwise")
	fs.BoolVar(&sf.allowPrivileged, "allow_privileged_containers", false, "let tasks ask for privileged Docker containers (docker.privileged); refused with TASK_ERROR otherwise (agents also need --docker_allow_privileged)")
	sf.frameworkSubscribes, sf.agentSubscribes = api.DefaultFrameworkSubscribeRate, api.DefaultAgentSubscribeRate
	fs.Var(rateValue{&sf.frameworkSubscribes}, "subscribe_rate", "scheduler SUBSCRIBEs allowed per remote IP and per principal: RATE/s,BURST (e.g. 20/s,100); 0 turns the limit off; beyond it: 429 with Retry-After")
	fs.Var(rateValue{&sf.agentSubscribes}, "agent_subscribe_rate", "agent protocol SUBSCRIBEs allowed per remote IP and per principal: RATE/s,BURST; 0 turns the limit off")
}

// rateValue is a flag of the form RATE/s,BURST (or RATE/s, the burst then
// being the rate rounded up, or 0 for no limit).
type rateValue struct{ l *api.RateLimit }

func (v rateValue) String() string {
	if v.l == nil {
		return ""
	}
	if v.l.Rate == 0 {
		return "0"
	}
	return strconv.FormatFloat(v.l.Rate, 'g', -1, 64) + "/s," + strconv.Itoa(v.l.Burst)
}

func (v rateValue) Set(s string) error {
	l, err := parseRate(s)
	if err != nil {
		return err
	}
	*v.l = l
	return nil
}

func parseRate(s string) (api.RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return api.RateLimit{}, nil
	}
	rate, burst, hasBurst := strings.Cut(s, ",")
	r, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rate), "/s"), 64)
	if err != nil || !(r > 0 && r <= 1e9) {
		return api.RateLimit{}, fmt.Errorf("%q: the rate must be a positive number of requests per second up to 1e9, as in 20/s,100", s)
	}
	b := int(math.Ceil(r))
	if hasBurst {
		if b, err = strconv.Atoi(strings.TrimSpace(burst)); err != nil || b < 1 {
			return api.RateLimit{}, fmt.Errorf("%q: the burst must be a positive whole number, as in 20/s,100", s)
		}
	}
	return api.RateLimit{Rate: r, Burst: b}, nil
}
