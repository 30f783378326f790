package allocator_test

import (
	"math"
	"slices"
	"sort"
	"time"

	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

// The reference allocator's operations, mirroring the package API.

func (m *reference) Allocate(now time.Time) []refOffer {
	ids := make([]string, 0, len(m.agents))
	for id := range m.agents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if m.rng != nil {
		m.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	}
	return m.allocate(now, ids)
}

func (m *reference) AllocateAgents(now time.Time, agentIDs ...string) []refOffer {
	var ids []string
	for _, id := range agentIDs {
		if m.agents[id] != nil && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if m.rng != nil && len(ids) > 1 {
		m.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	}
	return m.allocate(now, ids)
}

func (m *reference) framework(id string) *refFramework {
	if m.fws[id] == nil {
		m.fws[id] = &refFramework{suppressed: map[string]bool{}}
	}
	return m.fws[id]
}

func (m *reference) AddAgent(id string, total []*mesos.Resource, used map[string][]*mesos.Resource) {
	m.RemoveAgent(id)
	t := bag{}
	for _, b := range toBags(total) {
		t.add(b)
	}
	ag := &refAgent{active: true, total: t, free: bag{}, alloc: map[[2]string]bag{}}
	ag.free.add(t)
	m.agents[id] = ag
	var fws []string
	for fw := range used {
		fws = append(fws, fw)
	}
	sort.Strings(fws)
	for _, fw := range fws {
		for role, b := range toBags(used[fw]) {
			take := ag.free.intersect(b)
			if len(take) == 0 {
				continue
			}
			m.framework(fw)
			ag.free.sub(take)
			k := [2]string{fw, role}
			if ag.alloc[k] == nil {
				ag.alloc[k] = bag{}
			}
			ag.alloc[k].add(take)
		}
	}
}

func (m *reference) RemoveAgent(id string) {
	if m.agents[id] == nil {
		return
	}
	delete(m.agents, id)
	m.filters = slices.DeleteFunc(m.filters, func(f refFilter) bool { return f.agent == id })
	m.gc()
}

// gc forgets frameworks that were never added and hold nothing any more.
func (m *reference) gc() {
	for id, fw := range m.fws {
		if !fw.known && !m.holdsAny(id) {
			delete(m.fws, id)
		}
	}
}

func (m *reference) holdsAny(fw string) bool {
	for _, ag := range m.agents {
		for k, b := range ag.alloc {
			if k[0] == fw && len(b) > 0 {
				return true
			}
		}
	}
	return false
}

func (m *reference) SetAgentActive(id string, active bool) {
	if ag := m.agents[id]; ag != nil {
		ag.active = active
	}
}

func (m *reference) AddFramework(id string, roles, suppressed []string) {
	fw := m.framework(id)
	fw.known, fw.active = true, true
	m.setRoles(id, roles, suppressed)
}

func (m *reference) UpdateFramework(id string, roles, suppressed []string) {
	if fw := m.fws[id]; fw != nil && fw.known {
		m.setRoles(id, roles, suppressed)
	}
}

func (m *reference) setRoles(id string, roles, suppressed []string) {
	fw := m.fws[id]
	fw.roles = nil
	for _, r := range roles {
		if !slices.Contains(fw.roles, r) {
			fw.roles = append(fw.roles, r)
		}
	}
	fw.suppressed = map[string]bool{}
	for _, r := range suppressed {
		if slices.Contains(fw.roles, r) {
			fw.suppressed[r] = true
		}
	}
	m.filters = slices.DeleteFunc(m.filters, func(f refFilter) bool {
		return f.fw == id && !slices.Contains(fw.roles, f.role)
	})
}

func (m *reference) RemoveFramework(id string) {
	if m.fws[id] == nil {
		return
	}
	for _, ag := range m.agents {
		for k, b := range ag.alloc {
			if k[0] == id {
				ag.free.add(b)
				delete(ag.alloc, k)
			}
		}
	}
	delete(m.fws, id)
	m.filters = slices.DeleteFunc(m.filters, func(f refFilter) bool { return f.fw == id })
}

func (m *reference) SetFrameworkActive(id string, active bool) {
	if fw := m.fws[id]; fw != nil && fw.known {
		fw.active = active
	}
}

func (m *reference) Recover(fwID, agentID string, rs []*mesos.Resource, refuse time.Duration, now time.Time) {
	ag, fw := m.agents[agentID], m.fws[fwID]
	if ag == nil || fw == nil {
		return
	}
	for role, given := range toBags(rs) {
		k := [2]string{fwID, role}
		if held := ag.alloc[k]; held != nil {
			back := held.intersect(given)
			held.sub(back)
			ag.free.add(back)
			if len(held) == 0 {
				delete(ag.alloc, k)
			}
		}
		if refuse > 0 && fw.known && slices.Contains(fw.roles, role) && len(given) > 0 {
			m.filters = append(m.filters, refFilter{fwID, role, agentID, given,
				now.Add(min(refuse, 365*24*time.Hour))})
		}
	}
	m.gc()
}

func (m *reference) forRoles(id string, roles []string, fn func(role string)) {
	fw := m.fws[id]
	if fw == nil || !fw.known {
		return
	}
	for _, r := range fw.roles {
		if len(roles) == 0 || slices.Contains(roles, r) {
			fn(r)
		}
	}
}

func (m *reference) Suppress(id string, roles []string) {
	m.forRoles(id, roles, func(r string) { m.fws[id].suppressed[r] = true })
}

func (m *reference) Revive(id string, roles []string) {
	m.forRoles(id, roles, func(r string) {
		delete(m.fws[id].suppressed, r)
		m.filters = slices.DeleteFunc(m.filters, func(f refFilter) bool { return f.fw == id && f.role == r })
	})
}

func (m *reference) SetWeight(role string, w float64) {
	if w > 0 && !math.IsInf(w, 0) {
		m.weights[role] = w
	} else {
		delete(m.weights, role)
	}
}

// RoleShares covers the roles the package tracks: those frameworks
// subscribe to or hold resources in, and those agents reserve for.
func (m *reference) RoleShares() map[string]float64 {
	roles := map[string]bool{}
	for _, fw := range m.fws {
		for _, r := range fw.roles {
			roles[r] = true
		}
	}
	for _, ag := range m.agents {
		for k := range ag.alloc {
			roles[k[1]] = true
		}
		for it := range ag.total {
			if it.pool != "*" {
				roles[it.pool] = true
			}
		}
	}
	total := m.totals()
	out := map[string]float64{}
	for r := range roles {
		out[r] = dominantOf(m.held(func(_, role string) bool { return role == r }), total)
	}
	return out
}

func (m *reference) FrameworkShares() map[string]float64 {
	total := m.totals()
	out := map[string]float64{}
	for id := range m.fws {
		out[id] = dominantOf(m.held(func(fw, _ string) bool { return fw == id }), total)
	}
	return out
}
