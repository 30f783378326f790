// Tasks: filter by state, search by ID or name; one task's details, its
// sandbox and a live tail of its stdout and stderr.

import { h, set, kv, table, fmtTime, fmtNum, fmtMB, stateTag } from './dom.js';
import { TASK_STATES, isTerminal, scalars, val, serviceKind } from './model.js';
import { taskTable, hostname, ownerLink } from './agents.js';
import { sandboxView } from './sandbox.js';

export function tasksPage(query) {
  const state = h('select', { id: 'task-state', 'aria-label': 'State' },
    h('option', { value: '' }, 'All states'), h('option', { value: 'live' }, 'Live (not terminal)'),
    TASK_STATES.map((s) => h('option', { value: s }, s)));
  state.value = query.get('state') || '';
  const search = h('input', { type: 'search', id: 'task-search', placeholder: 'Search by task ID or name', 'aria-label': 'Search' });
  search.value = query.get('q') || '';
  const body = h('div', { id: 'tasks' });
  const el = h('section', {}, h('h1', {}, 'Tasks'), h('div', { class: 'toolbar' }, state, search), body);
  let last = null;
  const rerender = () => { if (last) update(last); };
  state.addEventListener('change', rerender);
  search.addEventListener('input', rerender);

  function update(model) {
    last = model;
    const want = state.value;
    const q = search.value.trim().toLowerCase();
    const tasks = [...model.tasks.values()].filter((t) => {
      if (want === 'live' ? isTerminal(t) : want && t.state !== want) return false;
      return !q || val(t.task_id).toLowerCase().includes(q) || (t.name || '').toLowerCase().includes(q);
    });
    set(body, taskTable(model, tasks));
  }
  return { el, update };
}

export function taskPage(taskID, query) {
  const frameworkID = query.get('framework') || '';
  const head = h('div', {});
  const history = h('div', {});
  const sandbox = h('div', {});
  const el = h('section', {}, head, h('h2', {}, 'Status updates'), history, sandbox);
  let box = null;

  function update(model) {
    const t = model.task(taskID, frameworkID);
    if (!t) {
      set(head, h('h1', {}, `Task ${taskID}`), h('p', { class: 'muted' }, 'No task with this ID is known to the master.'));
      return;
    }
    const fid = val(t.framework_id);
    const aid = val(t.agent_id);
    const f = model.framework(fid);
    const a = model.agents.get(aid);
    const s = scalars(t.resources);
    const labels = ((t.labels && t.labels.labels) || []).map((l) => h('span', { class: 'tag' }, `${l.key}=${l.value || ''}`));
    set(head,
      h('h1', {}, `Task ${val(t.task_id)}`),
      kv([['Name', t.name], ['State', stateTag(t.state)],
        ['Framework', h('a', { href: `#/frameworks/${encodeURIComponent(fid)}` }, f ? `${f.framework_info.name} (${fid})` : fid)],
        [serviceKind(f) === 'chronos' ? 'Chronos job' : 'Marathon app', ownerLink(f, t) || ''],
        ['Agent', h('a', { href: `#/agents/${encodeURIComponent(aid)}` }, a ? `${hostname(a)} (${aid})` : aid)],
        ['Executor', val(t.executor_id) || '(command executor)'],
        ['Resources', `${fmtNum(s.cpus)} CPUs, ${fmtMB(s.mem)} memory, ${fmtMB(s.disk)} disk${s.gpus ? `, ${fmtNum(s.gpus)} GPUs` : ''}`],
        ['Labels', labels.length ? labels : '']]));
    const statuses = (t.statuses || []).slice().reverse().map((st) => [stateTag(st.state), fmtTime(st.timestamp),
      st.source || '', st.reason || '', st.message || '', st.healthy === undefined ? '' : (st.healthy ? 'healthy' : 'unhealthy')]);
    set(history, table(['State', 'Time', 'Source', 'Reason', 'Message', 'Health'], statuses, 'No status updates yet.'));
    if (!box) {
      // The sandbox is the executor's: the task's own ID for the command
      // executor, else the executor's ID.
      box = sandboxView(aid, fid, val(t.executor_id) || val(t.task_id), val(t.task_id));
      set(sandbox, box.el);
    }
    box.setLive(!isTerminal(t) && model.agents.has(aid));
  }
  return { el, update, dispose: () => box && box.dispose() };
}
