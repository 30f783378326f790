// Agents: the list, and one agent's resources, attributes, reservations
// and tasks.

import { h, set, table, kv, bar, fmtNum, fmtMB, fmtTimeInfo, stateTag } from './dom.js';
import { totals, scalars, ranges, val, serviceKind, taskOwner, ownerHref } from './model.js';

export function agentsPage() {
  const body = h('div', { id: 'agents' });
  const el = h('section', {}, h('h1', {}, 'Agents'), body);
  function update(model) {
    const t = totals(model);
    const rows = [...model.agents.entries()].sort((a, b) => hostname(a[1]).localeCompare(hostname(b[1]))).map(([id, a]) => {
      const total = scalars(a.total_resources);
      const used = t.byAgent.get(id) || scalars([]);
      return [h('a', { href: `#/agents/${encodeURIComponent(id)}`, class: 'mono' }, id), hostname(a),
        `${fmtNum(used.cpus)} / ${fmtNum(total.cpus)}`, bar(used.cpus, 0, total.cpus),
        `${fmtMB(used.mem)} / ${fmtMB(total.mem)}`, `${fmtMB(used.disk)} / ${fmtMB(total.disk)}`,
        total.gpus ? `${fmtNum(used.gpus)} / ${fmtNum(total.gpus)}` : '–',
        String(t.tasksByAgent.get(id) || 0), a.active ? 'yes' : 'no', fmtTimeInfo(a.registered_time)];
    });
    set(body, table(['ID', 'Host', 'CPUs', '', 'Memory', 'Disk', 'GPUs', ['Tasks', 'num'], 'Active', 'Registered'], rows,
      'No agents are registered.'));
  }
  return { el, update };
}

export function agentPage(id) {
  const el = h('section', {});
  function update(model) {
    const a = model.agents.get(id);
    if (!a) {
      set(el, h('h1', {}, `Agent ${id}`), h('p', { class: 'muted' }, 'This agent is not registered (it may have been removed).'));
      return;
    }
    const info = a.agent_info;
    const used = totals(model).byAgent.get(id) || scalars([]);
    const tasks = [...model.tasks.values()].filter((t) => val(t.agent_id) === id);
    set(el,
      h('h1', {}, `Agent ${hostname(a)}`),
      kv([['ID', id], ['Host', `${info.hostname}:${info.port || ''}`], ['PID', a.pid], ['Version', a.version],
        ['Active', a.active ? 'yes' : 'no'], ['Registered', fmtTimeInfo(a.registered_time)],
        ['Re-registered', fmtTimeInfo(a.reregistered_time)]]),
      h('h2', {}, 'Resources'), resourceTable(a.total_resources || info.resources, used),
      h('h2', {}, 'Attributes'), table(['Name', 'Value'], (info.attributes || []).map((x) => [x.name, attributeValue(x)]), 'No attributes.'),
      h('h2', {}, 'Reservations'), table(['Role', 'Resource', 'Amount', 'Type', 'Principal'], reservations(a.total_resources), 'No reservations.'),
      h('h2', {}, 'Tasks'), taskTable(model, tasks));
  }
  return { el, update };
}

export function hostname(a) {
  return (a.agent_info && a.agent_info.hostname) || '';
}

function resourceTable(resources, used) {
  const rows = (resources || []).map((r) => {
    const amount = r.type === 'SCALAR' ? fmtNum(r.scalar.value) : r.type === 'RANGES' ? ranges(r) : (r.set && r.set.item || []).join(', ');
    const alloc = r.type === 'SCALAR' && used[r.name] !== undefined ? fmtNum(used[r.name]) : '';
    return [r.name, amount, alloc, roleOf(r)];
  });
  return table(['Name', 'Total', 'Allocated to tasks', 'Role'], rows, 'No resources.');
}

// roleOf is a resource's reservation role: the last refinement, else the
// pre-refinement "role" field, else "*".
function roleOf(r) {
  const res = r.reservations || [];
  if (res.length) return res[res.length - 1].role || '*';
  return r.role || '*';
}

function reservations(resources) {
  const rows = [];
  for (const r of resources || []) {
    const res = r.reservations && r.reservations.length ? r.reservations[r.reservations.length - 1] : (r.role && r.role !== '*' ? { role: r.role, type: 'STATIC' } : (r.reservation ? { ...r.reservation, role: r.role } : null));
    if (!res) continue;
    const amount = r.type === 'SCALAR' ? fmtNum(r.scalar.value) : r.type === 'RANGES' ? ranges(r) : '';
    rows.push([res.role || '*', r.name, amount, res.type || 'DYNAMIC', res.principal || '']);
  }
  return rows;
}

function attributeValue(x) {
  if (x.type === 'TEXT') return (x.text && x.text.value) || '';
  if (x.type === 'SCALAR') return fmtNum(x.scalar && x.scalar.value);
  if (x.type === 'RANGES') return ranges(x);
  if (x.type === 'SET') return ((x.set && x.set.item) || []).join(', ');
  return '';
}

// taskTable lists tasks with links to them, their framework and agent,
// and the Marathon app or Chronos job they run for.
export function taskTable(model, tasks, limit = 500) {
  const sorted = tasks.slice().sort((a, b) => lastUpdate(b) - lastUpdate(a));
  const rows = sorted.slice(0, limit).map((t) => {
    const fid = val(t.framework_id);
    const f = model.framework(fid);
    const s = scalars(t.resources);
    return [h('a', { href: taskHref(t), class: 'mono' }, val(t.task_id)), t.name || '', stateTag(t.state),
      h('a', { href: `#/frameworks/${encodeURIComponent(fid)}` }, f ? f.framework_info.name || fid : fid),
      ownerLink(f, t) || '',
      h('a', { href: `#/agents/${encodeURIComponent(val(t.agent_id))}` }, agentName(model, val(t.agent_id))),
      fmtNum(s.cpus), fmtMB(s.mem)];
  });
  const out = table(['ID', 'Name', 'State', 'Framework', 'App or job', 'Agent', ['CPUs', 'num'], ['Memory', 'num']], rows, 'No tasks.');
  if (sorted.length <= limit) return out;
  return h('div', {}, out, h('p', { class: 'note' }, `Showing the ${limit} most recently updated of ${sorted.length} tasks; narrow the search to see others.`));
}

// ownerLink links a task of Marathon or Chronos (framework f) to its app
// or job on the apps page; null for other tasks.
export function ownerLink(f, t) {
  const owner = taskOwner(serviceKind(f), val(t.task_id));
  if (!owner) return null;
  return h('a', { href: ownerHref(owner), class: 'owner' }, owner.app !== undefined ? owner.app : owner.job);
}

export function taskHref(t) {
  return `#/tasks/${encodeURIComponent(val(t.task_id))}?framework=${encodeURIComponent(val(t.framework_id))}`;
}

function agentName(model, id) {
  const a = model.agents.get(id);
  return a ? hostname(a) : id;
}

export function lastUpdate(t) {
  const s = t.statuses || [];
  return s.length ? Number(s[s.length - 1].timestamp || 0) : 0;
}

export { stateTag };
