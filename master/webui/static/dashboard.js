// Dashboard: the cluster's resources (total, allocated, offered), tasks by
// state, and framework and agent counts.

import { h, set, table, card, bar, fmtNum, fmtMB } from './dom.js';
import { TASK_STATES, totals, isTerminal } from './model.js';

// Offers are not in the event stream; the master's counters have them.
const METRICS_EVERY_MS = 5000;

export function dashboardPage() {
  const counts = h('div', { class: 'cards', id: 'counts' });
  const res = h('div', { id: 'resources' });
  const states = h('div', { id: 'task-states' });
  const el = h('section', {}, h('h1', {}, 'Cluster'), counts, h('h2', {}, 'Resources'), res,
    h('h2', {}, 'Tasks by state'), states);
  let offered = {};
  let last = null;
  const poll = async () => {
    try {
      const resp = await fetch('/metrics/snapshot', { cache: 'no-store' });
      const m = await resp.json();
      offered = { cpus: m['master/cpus_offered'], mem: m['master/mem_offered'], disk: m['master/disk_offered'], gpus: m['master/gpus_offered'] };
      if (last) update(last);
    } catch { /* the dashboard shows "–" for offered */ }
  };
  poll();
  const timer = setInterval(poll, METRICS_EVERY_MS);

  function update(model) {
    last = model;
    const t = totals(model);
    let activeAgents = 0;
    for (const a of model.agents.values()) if (a.active) activeAgents++;
    let activeFws = 0;
    for (const f of model.frameworks.values()) if (f.active) activeFws++;
    const byState = new Map();
    for (const task of model.tasks.values()) byState.set(task.state, (byState.get(task.state) || 0) + 1);
    let live = 0;
    for (const task of model.tasks.values()) if (!isTerminal(task)) live++;
    set(counts,
      card('Agents', String(model.agents.size), `${activeAgents} active`, 'count-agents'),
      card('Frameworks', String(model.frameworks.size), `${activeFws} active, ${model.completedFrameworks.size} completed`, 'count-frameworks'),
      card('Tasks', String(live), `live, of ${model.tasks.size} known`, 'count-tasks'),
      card('CPUs allocated', `${fmtNum(t.allocated.cpus)} / ${fmtNum(t.total.cpus)}`),
      card('Memory allocated', `${fmtMB(t.allocated.mem)} / ${fmtMB(t.total.mem)}`));
    const row = (label, k, fmt) => [label, fmt(t.total[k]), fmt(t.allocated[k]), fmt(offered[k]),
      fmt(Math.max(0, t.total[k] - t.allocated[k] - (offered[k] || 0))), bar(t.allocated[k], offered[k] || 0, t.total[k])];
    set(res, table(['Resource', ['Total', 'num'], ['Allocated', 'num'], ['Offered', 'num'], ['Idle', 'num'], 'Use'], [
      row('CPUs', 'cpus', fmtNum), row('Memory', 'mem', fmtMB), row('Disk', 'disk', fmtMB), row('GPUs', 'gpus', fmtNum),
    ]));
    const rows = TASK_STATES.filter((s) => byState.has(s)).map((s) => [
      h('a', { href: `#/tasks?state=${s}` }, s), String(byState.get(s)),
    ]);
    set(states, table(['State', ['Tasks', 'num']], rows, 'No tasks.'));
  }
  return { el, update, dispose: () => clearInterval(timer) };
}
