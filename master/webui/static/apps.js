// The bundled frameworks' own views: Marathon's apps and deployments (with
// each deployment's steps and what its current actions wait for) and
// Chronos's jobs with their recent runs, read from their APIs at the
// webui_url they register. Those are other origins: when the browser
// refuses the fetch (no CORS header) the page says so in one line and
// links to the framework.
//
// The frameworks' APIs are polled: every REFRESH_MS, every ACTIVE_MS while
// a deployment or a job run is in progress, and soon after the master's
// event stream shows one of their tasks change, so a scale-up shows
// without waiting for the next poll.

import { h, set, table, kv, bar, fmtTime, fmtNum, fmtMB } from './dom.js';
import { val, serviceKind, taskOwner } from './model.js';
import { taskTable } from './agents.js';

const REFRESH_MS = 5000;
const ACTIVE_MS = 1000;
const POKE_MS = 300;
// Run history is one request per job: only this many jobs get theirs.
const MAX_JOB_STATS = 50;
const RECENT_RUNS = 5;

function base(f) {
  return String((f.framework_info && f.framework_info.webui_url) || '').replace(/\/+$/, '');
}

// appsPage lists every Marathon and Chronos; query "app" narrows it to one
// Marathon app (with its tasks), "job" to one Chronos job (with its runs).
export function appsPage(query) {
  const focus = { app: (query && query.get('app')) || '', job: (query && query.get('job')) || '' };
  const body = h('div', {});
  const tasks = h('div', { id: 'app-tasks' });
  const title = focus.app ? `App ${focus.app}` : focus.job ? `Job ${focus.job}` : 'Apps & jobs';
  const el = h('section', {}, h('h1', {}, title),
    focus.app || focus.job ? h('p', {}, h('a', { href: '#/apps' }, 'All apps and jobs')) : null, body, tasks);
  let shown = '';
  let sections = [];
  function update(model) {
    const fws = [...model.frameworks.values()].filter((f) => serviceKind(f) && base(f)
      && (!focus.app || serviceKind(f) === 'marathon') && (!focus.job || serviceKind(f) === 'chronos'));
    const key = fws.map((f) => `${f.framework_info.id.value}@${base(f)}`).join(' ');
    if (key !== shown) {
      shown = key;
      for (const s of sections) s.dispose();
      sections = fws.map((f) => serviceSection(f, focus));
      set(body, sections.length ? sections.map((s) => s.el)
        : h('p', { class: 'muted' }, 'Neither Marathon nor Chronos is registered with this master.'));
    }
    for (const s of sections) s.changed(model);
    if (focus.app) {
      const mine = [...model.tasks.values()].filter((t) => {
        const o = taskOwner(serviceKind(model.framework(val(t.framework_id))), val(t.task_id));
        return o && o.app === focus.app;
      });
      set(tasks, h('h2', {}, 'Tasks'), taskTable(model, mine));
    }
  }
  return { el, update, dispose: () => sections.forEach((s) => s.dispose()) };
}

// serviceSection is the apps or jobs of one framework (focus as appsPage),
// or null when it is neither Marathon nor Chronos. changed(model) tells it
// the master's state moved; it reads the framework again when one of the
// framework's tasks did.
export function serviceSection(f, focus = {}) {
  const k = serviceKind(f);
  const url = base(f);
  if (!k || !url) return null;
  const fid = val(f.framework_info.id);
  const body = h('div', { class: k === 'marathon' ? 'service marathon' : 'service chronos' }, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('div', {}, h('h2', {}, k === 'marathon' ? `Marathon (${url})` : `Chronos (${url})`), body);
  const load = k === 'marathon' ? marathon : chronos;
  let timer = null;
  let inflight = false;
  let again = false;
  let disposed = false;
  let seen = null;
  const schedule = (ms) => { clearTimeout(timer); timer = setTimeout(refresh, ms); };
  async function refresh() {
    if (disposed) return;
    if (inflight) { again = true; return; }
    inflight = true;
    let active = false;
    try {
      const r = await load(url, fid, focus);
      active = r.active;
      if (!disposed) set(body, r.el);
    } catch (e) {
      if (!disposed) {
        set(body, h('p', { class: 'note' }, `Could not read ${url} from this page (${e.message}; the browser refuses cross-origin reads unless the framework allows this origin): `,
          h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, `open ${k === 'marathon' ? 'Marathon' : 'Chronos'}`)));
      }
    }
    inflight = false;
    if (disposed) return;
    if (again) { again = false; schedule(0); return; }
    schedule(active ? ACTIVE_MS : REFRESH_MS);
  }
  function changed(model) {
    let sig = '';
    for (const t of model.tasks.values()) {
      if (val(t.framework_id) === fid) sig += `${val(t.task_id)}=${t.state} `;
    }
    if (seen !== null && sig !== seen) schedule(POKE_MS);
    seen = sig;
  }
  refresh();
  return { el, changed, dispose: () => { disposed = true; clearTimeout(timer); } };
}

async function getJSON(url) {
  const resp = await fetch(url, { cache: 'no-store', credentials: 'omit' });
  if (!resp.ok) throw new Error(`${url}: ${resp.status}`);
  return resp.json();
}

const appLink = (id) => h('a', { href: `#/apps?app=${encodeURIComponent(id)}`, class: 'mono' }, id);
const jobLink = (name) => h('a', { href: `#/apps?job=${encodeURIComponent(name)}` }, name);

async function marathon(url, fid, focus) {
  const [appsResp, deployments] = await Promise.all([
    getJSON(`${url}/v2/apps?embed=apps.counts&embed=apps.lastTaskFailure`), getJSON(`${url}/v2/deployments`)]);
  let apps = appsResp.apps || [];
  let deps = deployments || [];
  if (focus.app) {
    apps = apps.filter((a) => a.id === focus.app);
    deps = deps.filter((d) => (d.affectedApps || []).includes(focus.app));
  }
  // An app's status, as Marathon's UI names it: Deploying while a
  // deployment affects it, Waiting when that deployment says it waits.
  const waiting = new Map();
  const deploying = new Set();
  for (const d of deps) {
    for (const id of d.affectedApps || []) deploying.add(id);
    for (const x of d.currentActions || []) if (x.waiting) waiting.set(x.app, x.waiting);
  }
  const status = (a) => waiting.has(a.id) ? 'Waiting' : deploying.has(a.id) ? 'Deploying' : a.instances === 0 ? 'Suspended' : 'Running';
  const rows = apps.map((a) => ({
    attrs: { 'data-app': a.id },
    cells: [appLink(a.id), h('span', { class: `appstatus ${status(a)}` }, status(a)), `${a.tasksRunning ?? 0} / ${a.instances ?? 0}`,
      String(a.tasksHealthy ?? 0), String(a.tasksStaged ?? 0), String(a.tasksUnhealthy ?? 0),
      fmtNum(a.cpus), fmtMB(a.mem), a.cmd || (a.container && a.container.docker && a.container.docker.image) || ''],
  }));
  const parts = [];
  if (focus.app && apps.length) parts.push(appDetails(apps[0]));
  parts.push(h('div', { class: 'marathon-apps' },
    table(['App', 'Status', ['Running', 'num'], ['Healthy', 'num'], ['Staged', 'num'], ['Unhealthy', 'num'], ['CPUs', 'num'], ['Memory', 'num'], 'Command'],
      rows, focus.app ? `Marathon has no app ${focus.app}.` : 'No apps.')));
  parts.push(h('h2', {}, 'Deployments in progress'),
    h('div', { class: 'marathon-deployments' }, deps.length ? deps.map(deployment) : h('p', { class: 'muted' }, 'No deployments in progress.')));
  return { el: h('div', {}, parts), active: deps.length > 0 };
}

function appDetails(a) {
  const f = a.lastTaskFailure;
  return kv([['Instances', String(a.instances ?? '')], ['Command', a.cmd], ['Args', (a.args || []).join(' ')],
    ['Image', a.container && a.container.docker && a.container.docker.image],
    ['Constraints', tags((a.constraints || []).map((c) => c.join(':')))],
    ['Labels', tags(Object.entries(a.labels || {}).map(([k, v]) => `${k}=${v}`))],
    ['Version', a.version],
    ['Last task failure', f ? `${f.state || ''} ${f.message || ''} (${f.timestamp || ''})` : '']]);
}

function tags(list) {
  return list.length ? list.map((x) => h('span', { class: 'tag' }, x)) : '';
}

// deployment shows one deployment: its steps with the current one marked,
// a bar of the steps done, and what the current actions wait for.
function deployment(d) {
  const steps = d.steps || [];
  const total = d.totalSteps ?? steps.length;
  const current = d.currentStep ?? 0;
  const actions = new Map((d.currentActions || []).map((x) => [`${x.action} ${x.app}`, x]));
  const rows = steps.map((s, i) => {
    const n = i + 1;
    const state = n < current ? 'done' : n === current ? 'in progress' : 'pending';
    return {
      attrs: { class: n === current ? 'current' : null },
      cells: [String(n), h('span', { class: `step ${state.replace(' ', '-')}` }, state),
        (s.actions || []).map((x) => {
          const cur = n === current ? actions.get(`${x.action} ${x.app}`) : null;
          return h('div', {}, `${x.action} `, appLink(x.app), cur && cur.waiting ? h('div', { class: 'waiting' }, cur.waiting) : null);
        })],
    };
  });
  return h('div', { class: 'deployment', 'data-deployment': d.id },
    h('div', { class: 'dephead' }, h('span', { class: 'mono' }, d.id), h('span', { class: 'progress' }, `step ${current} of ${total}`),
      h('span', { class: 'muted' }, (d.affectedApps || []).join(', '))),
    bar(Math.max(0, current - 1), current > 0 ? 1 : 0, total),
    table([['Step', 'num'], 'State', 'Actions'], rows, 'No steps.'));
}

async function chronos(url, fid, focus) {
  const [jobsResp, summary] = await Promise.all([getJSON(`${url}/v1/scheduler/jobs`), getJSON(`${url}/v1/scheduler/jobs/summary`)]);
  let jobs = jobsResp || [];
  if (focus.job) jobs = jobs.filter((j) => j.name === focus.job);
  const states = new Map(((summary && summary.jobs) || []).map((j) => [j.name, j]));
  const withStats = jobs.slice(0, MAX_JOB_STATS);
  const stats = new Map(await Promise.all(withStats.map(async (j) => {
    try {
      return [j.name, await getJSON(`${url}/v1/scheduler/job/stat/${encodeURIComponent(j.name)}`)];
    } catch {
      return [j.name, null]; // deleted since the list was read
    }
  })));
  const when = (s) => (s ? fmtTime(Date.parse(s) / 1000) : '');
  const rows = jobs.map((j) => {
    const s = states.get(j.name) || {};
    const st = stats.get(j.name);
    const history = (st && st.taskStatHistory) || [];
    const recent = history.slice(-RECENT_RUNS).reverse().map(runTag);
    return {
      attrs: { 'data-job': j.name },
      cells: [jobLink(j.name), s.state || '', runStatus(s.status), j.schedule || (j.parents || []).map((p) => [jobLink(p), ' ']),
        when(j.lastSuccess), when(j.lastError), String(j.successCount ?? 0), String(j.errorCount ?? 0), j.disabled ? 'yes' : 'no',
        st ? (recent.length ? recent : h('span', { class: 'muted' }, 'none yet')) : ''],
    };
  });
  const parts = [h('div', { class: 'chronos-jobs' },
    table(['Job', 'State', 'Last run', 'Schedule or parents', 'Last success', 'Last error', ['Successes', 'num'], ['Errors', 'num'], 'Disabled', 'Recent runs'],
      rows, focus.job ? `Chronos has no job ${focus.job}.` : 'No jobs.'))];
  if (jobs.length > MAX_JOB_STATS) parts.push(h('p', { class: 'note' }, `Recent runs are shown for the first ${MAX_JOB_STATS} of ${jobs.length} jobs.`));
  if (focus.job && jobs.length) {
    const st = stats.get(focus.job);
    const runs = ((st && st.taskStatHistory) || []).slice().reverse().map((r) => [
      r.taskId ? h('a', { href: `#/tasks/${encodeURIComponent(r.taskId)}?framework=${encodeURIComponent(fid)}`, class: 'mono' }, r.taskId) : '',
      runStatus(r.status), when(r.startTime), when(r.endTime), r.hostname || r.slaveId || '', r.taskState || '', r.message || '']);
    parts.push(h('h2', {}, 'Runs'), h('div', { class: 'chronos-history' },
      table(['Task', 'Result', 'Started', 'Ended', 'Host', 'Task state', 'Message'], runs, 'No runs yet.')));
  }
  const active = [...states.values()].some((s) => s.state === 'running' || s.state === 'queued');
  return { el: h('div', {}, parts), active };
}

// runStatus is a job's last result: success, failure or fresh (never ran).
function runStatus(s) {
  return s ? h('span', { class: `run ${s}` }, s) : '';
}

function runTag(r) {
  const t = Date.parse(r.endTime || r.startTime);
  return h('span', { class: `tag run ${r.status || ''}`, title: [r.taskId, r.message].filter(Boolean).join(': ') },
    `${r.status || '?'} ${Number.isNaN(t) ? '' : new Date(t).toLocaleTimeString()}`);
}
