// The bundled frameworks' own views: Marathon's apps and deployments and
// Chronos's jobs, read from their APIs at the webui_url they register.
// Those are other origins: when the browser refuses the fetch (no CORS
// header) the page says so in one line and links to the framework.

import { h, set, table, fmtTime } from './dom.js';

const REFRESH_MS = 5000;

function kind(f) {
  const name = ((f.framework_info && f.framework_info.name) || '').toLowerCase();
  return name === 'marathon' || name === 'chronos' ? name : '';
}

function base(f) {
  return String((f.framework_info && f.framework_info.webui_url) || '').replace(/\/+$/, '');
}

export function appsPage() {
  const body = h('div', {});
  const el = h('section', {}, h('h1', {}, 'Apps & jobs'), body);
  let shown = '';
  let sections = [];
  function update(model) {
    const fws = [...model.frameworks.values()].filter((f) => kind(f) && base(f));
    const key = fws.map((f) => `${f.framework_info.id.value}@${base(f)}`).join(' ');
    if (key === shown) return;
    shown = key;
    for (const s of sections) s.dispose();
    sections = fws.map(serviceSection);
    set(body, sections.length ? sections.map((s) => s.el)
      : h('p', { class: 'muted' }, 'Neither Marathon nor Chronos is registered with this master.'));
  }
  return { el, update, dispose: () => sections.forEach((s) => s.dispose()) };
}

// serviceSection is the apps or jobs of one framework, or null when it is
// neither Marathon nor Chronos.
export function serviceSection(f) {
  const k = kind(f);
  const url = base(f);
  if (!k || !url) return null;
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('div', {}, h('h2', {}, k === 'marathon' ? `Marathon apps (${url})` : `Chronos jobs (${url})`), body);
  const load = k === 'marathon' ? marathon : chronos;
  const refresh = async () => {
    try {
      set(body, await load(url));
    } catch (e) {
      set(body, h('p', { class: 'note' }, `Could not read ${url} from this page (the browser may refuse cross-origin requests): `,
        h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, `open ${k === 'marathon' ? 'Marathon' : 'Chronos'}`)));
    }
  };
  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return { el, dispose: () => clearInterval(timer) };
}

async function getJSON(url) {
  const resp = await fetch(url, { cache: 'no-store', credentials: 'omit' });
  if (!resp.ok) throw new Error(`${resp.status}`);
  return resp.json();
}

async function marathon(url) {
  const [apps, deployments] = await Promise.all([getJSON(`${url}/v2/apps?embed=apps.counts`), getJSON(`${url}/v2/deployments`)]);
  const rows = (apps.apps || []).map((a) => [a.id, String(a.instances ?? ''), String(a.tasksRunning ?? 0),
    String(a.tasksHealthy ?? 0), String(a.tasksStaged ?? 0), String(a.tasksUnhealthy ?? 0)]);
  const deps = (deployments || []).map((d) => [d.id, (d.affectedApps || []).join(', '),
    `${d.currentStep ?? 0} / ${d.totalSteps ?? (d.steps || []).length}`,
    (d.currentActions || []).map((x) => `${x.action} ${x.app}`).join(', ')]);
  return h('div', {},
    table(['App', ['Instances', 'num'], ['Running', 'num'], ['Healthy', 'num'], ['Staged', 'num'], ['Unhealthy', 'num']], rows, 'No apps.'),
    h('h2', {}, 'Deployments in progress'),
    table(['Deployment', 'Apps', 'Step', 'Current actions'], deps, 'No deployments in progress.'));
}

async function chronos(url) {
  const [jobs, summary] = await Promise.all([getJSON(`${url}/v1/scheduler/jobs`), getJSON(`${url}/v1/scheduler/jobs/summary`)]);
  const states = new Map(((summary && summary.jobs) || []).map((j) => [j.name, j]));
  const when = (s) => (s ? fmtTime(Date.parse(s) / 1000) : '');
  const rows = (jobs || []).map((j) => {
    const s = states.get(j.name) || {};
    return [j.name, s.state || '', s.status || '', j.schedule || (j.parents || []).join(', '), when(j.lastSuccess), when(j.lastError),
      String(j.successCount ?? 0), String(j.errorCount ?? 0), j.disabled ? 'yes' : 'no'];
  });
  return table(['Job', 'State', 'Last run', 'Schedule or parents', 'Last success', 'Last error', ['Successes', 'num'], ['Errors', 'num'], 'Disabled'],
    rows, 'No jobs.');
}
