// The page's picture of the cluster, built from the operator event
// stream: SUBSCRIBED sets it, each later event changes it. apply() is
// the only writer. Derived numbers (allocations, shares) are computed
// from it by the functions below; nothing here touches the DOM or network.

export const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST',
  'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);

export const TASK_STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED',
  'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE',
  'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN'];

export const SCALARS = ['cpus', 'mem', 'disk', 'gpus'];

// A page left open for days must not grow without bound: past this many
// ended tasks, the oldest are forgotten (the master keeps its own history).
export const MAX_ENDED_TASKS = 10000;

const val = (id) => (id && id.value) || '';

export class Model {
  constructor() {
    this.reset();
  }

  reset() {
    this.ready = false; // true once SUBSCRIBED arrived
    this.agents = new Map(); // agent ID → Agent (operator API JSON)
    this.frameworks = new Map(); // framework ID → Framework
    this.completedFrameworks = new Map();
    this.tasks = new Map(); // taskKey → Task
    this.ended = []; // keys of terminal tasks, oldest first
    this.version = 0; // bumps on every change
  }

  apply(ev) {
    switch (ev.type) {
      case 'SUBSCRIBED': this.load((ev.subscribed || {}).get_state || {}); break;
      case 'TASK_ADDED': this.putTask(ev.task_added.task); break;
      case 'TASK_UPDATED': this.updateTask(ev.task_updated); break;
      case 'AGENT_ADDED': this.putAgent(ev.agent_added.agent); break;
      case 'AGENT_REMOVED': this.agents.delete(val(ev.agent_removed.agent_id)); break;
      case 'FRAMEWORK_ADDED': this.putFramework(ev.framework_added.framework); break;
      case 'FRAMEWORK_UPDATED': this.putFramework(ev.framework_updated.framework); break;
      case 'FRAMEWORK_REMOVED': this.removeFramework(ev.framework_removed.framework_info); break;
      default: return; // HEARTBEAT and events this page does not show
    }
    this.version++;
  }

  load(s) {
    this.reset();
    for (const a of (s.get_agents || {}).agents || []) this.putAgent(a);
    const fws = s.get_frameworks || {};
    for (const f of fws.frameworks || []) this.putFramework(f);
    for (const f of fws.completed_frameworks || []) this.completedFrameworks.set(val(f.framework_info.id), f);
    const ts = s.get_tasks || {};
    for (const list of [ts.completed_tasks, ts.tasks, ts.unreachable_tasks, ts.orphan_tasks]) {
      for (const t of list || []) this.putTask(t);
    }
    this.ready = true;
  }

  putAgent(a) {
    this.agents.set(val(a.agent_info.id), a);
  }

  putFramework(f) {
    const id = val(f.framework_info.id);
    const old = this.frameworks.get(id);
    // Events carry no offers or resources: keep what the snapshot had.
    if (old) f = { ...old, ...f };
    this.frameworks.set(id, f);
  }

  removeFramework(info) {
    const id = val(info && info.id);
    const f = this.frameworks.get(id) || { framework_info: info };
    this.frameworks.delete(id);
    this.completedFrameworks.set(id, { ...f, framework_info: info || f.framework_info, active: false, connected: false });
  }

  putTask(t) {
    const key = taskKey(val(t.framework_id), val(t.task_id));
    this.tasks.set(key, t);
    if (isTerminal(t)) this.noteEnded(key);
  }

  noteEnded(key) {
    this.ended.push(key);
    while (this.ended.length > MAX_ENDED_TASKS) {
      const old = this.ended.shift();
      const t = this.tasks.get(old);
      if (t && isTerminal(t)) this.tasks.delete(old);
    }
  }

  updateTask(u) {
    const status = u.status || {};
    const key = taskKey(val(u.framework_id), val(status.task_id));
    const t = this.tasks.get(key);
    if (!t) return; // a task this page never saw added; the next SUBSCRIBED has it
    const next = { ...t, state: u.state || status.state, statuses: [...(t.statuses || []), status] };
    this.tasks.set(key, next);
    if (isTerminal(next) && !isTerminal(t)) this.noteEnded(key);
  }

  // task finds a task by ID, in the given framework when one is named,
  // preferring one that is still live.
  task(taskID, frameworkID) {
    if (frameworkID) return this.tasks.get(taskKey(frameworkID, taskID));
    let found;
    for (const t of this.tasks.values()) {
      if (val(t.task_id) !== taskID) continue;
      if (!isTerminal(t)) return t;
      found = found || t;
    }
    return found;
  }

  framework(id) {
    return this.frameworks.get(id) || this.completedFrameworks.get(id);
  }

  // liveTasks are tasks holding resources: not terminal, and of a
  // framework that is still registered.
  *liveTasks() {
    for (const t of this.tasks.values()) {
      if (!isTerminal(t) && this.frameworks.has(val(t.framework_id))) yield t;
    }
  }
}

export function taskKey(frameworkID, taskID) {
  return `${frameworkID}\u0000${taskID}`;
}

export function isTerminal(t) {
  return TERMINAL.has(t.state);
}

export { val };

// scalars sums a Resource array's scalar resources by name.
export function scalars(resources) {
  const out = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const r of resources || []) {
    if (r.type === 'SCALAR' && r.scalar) out[r.name] = (out[r.name] || 0) + Number(r.scalar.value || 0);
  }
  return out;
}

export function addScalars(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] || 0) + v;
  return out;
}

// ranges renders a RANGES resource as Mesos does: "[31000-31100, 32000-32000]".
export function ranges(r) {
  const list = (r.ranges && r.ranges.range) || [];
  return `[${list.map((x) => `${x.begin}-${x.end}`).join(', ')}]`;
}

// totals are the cluster's totals and allocations: total from the
// agents' resources, allocated from the live tasks, per agent and
// framework too.
export function totals(model) {
  const out = { total: scalars([]), allocated: scalars([]), byAgent: new Map(), byFramework: new Map(), tasksByAgent: new Map() };
  for (const [id, a] of model.agents) {
    out.total = addScalars(out.total, scalars(a.total_resources || a.agent_info.resources));
    out.byAgent.set(id, scalars([]));
  }
  for (const t of model.liveTasks()) {
    const s = scalars(t.resources);
    out.allocated = addScalars(out.allocated, s);
    const aid = val(t.agent_id);
    const fid = val(t.framework_id);
    out.byAgent.set(aid, addScalars(out.byAgent.get(aid) || scalars([]), s));
    out.byFramework.set(fid, addScalars(out.byFramework.get(fid) || scalars([]), s));
    out.tasksByAgent.set(aid, (out.tasksByAgent.get(aid) || 0) + 1);
  }
  return out;
}

// dominantShare is the largest fraction of the cluster's total that an
// allocation holds of any scalar resource (DRF's dominant share).
export function dominantShare(allocated, total) {
  let best = 0;
  let name = '';
  for (const k of SCALARS) {
    if (total[k] > 0 && (allocated[k] || 0) / total[k] > best) {
      best = (allocated[k] || 0) / total[k];
      name = k;
    }
  }
  return { share: best, resource: name };
}

export function roles(f) {
  const info = f.framework_info || {};
  if (info.roles && info.roles.length) return info.roles;
  return [info.role || '*'];
}

// serviceKind says whether a framework is the bundled Marathon or Chronos,
// by the name it registers: "marathon", "chronos" or "".
export function serviceKind(f) {
  const name = ((f && f.framework_info && f.framework_info.name) || '').toLowerCase();
  return name === 'marathon' || name === 'chronos' ? name : '';
}

// taskOwner names the Marathon app or Chronos job a task runs for, read
// from the IDs those frameworks give their tasks: Marathon's
// "<app path, / as _>.<unique>" ("prod_web.5f1c…" is /prod/web; app IDs
// never hold "_") and Chronos's "ct:<due ms>:<attempt>:<job>:<arguments>"
// (job names hold no ":"). kind is the framework's serviceKind. Returns
// { app } or { job }, or null.
export function taskOwner(kind, taskID) {
  const id = String(taskID || '');
  if (kind === 'marathon') {
    const i = id.lastIndexOf('.');
    if (i <= 0 || i === id.length - 1) return null;
    return { app: `/${id.slice(0, i).replaceAll('_', '/')}` };
  }
  if (kind === 'chronos') {
    const m = /^ct:\d+:\d+:([^:]+):/.exec(id);
    return m ? { job: m[1] } : null;
  }
  return null;
}

// ownerHref is the apps page's link to a task's app or job.
export function ownerHref(owner) {
  if (!owner) return '';
  return owner.app !== undefined ? `#/apps?app=${encodeURIComponent(owner.app)}` : `#/apps?job=${encodeURIComponent(owner.job)}`;
}
