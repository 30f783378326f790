// Frameworks: the list with allocations and dominant shares, and one
// framework's roles, offers and tasks (plus Marathon's apps or Chronos's
// jobs when it is one of those).

import { h, set, table, kv, fmtNum, fmtMB, fmtPct, fmtTimeInfo } from './dom.js';
import { totals, scalars, dominantShare, roles, val } from './model.js';
import { taskTable } from './agents.js';
import { call } from './stream.js';
import { serviceSection } from './apps.js';

// Outstanding offers are not in the event stream; GET_FRAMEWORKS has them.
const OFFERS_EVERY_MS = 5000;

export function frameworksPage() {
  const body = h('div', {});
  const el = h('section', {}, h('h1', {}, 'Frameworks'), body);
  function update(model) {
    const t = totals(model);
    const row = (id, f) => {
      const used = t.byFramework.get(id) || scalars([]);
      const ds = dominantShare(used, t.total);
      const ntasks = [...model.liveTasks()].filter((x) => val(x.framework_id) === id).length;
      return [h('a', { href: `#/frameworks/${encodeURIComponent(id)}`, class: 'mono' }, id), f.framework_info.name || '',
        roles(f).join(', '), f.framework_info.user || '', f.active ? 'yes' : 'no', String(ntasks),
        fmtNum(used.cpus), fmtMB(used.mem), `${fmtPct(ds.share)}${ds.resource ? ` (${ds.resource})` : ''}`];
    };
    const headers = ['ID', 'Name', 'Roles', 'User', 'Active', ['Tasks', 'num'], ['CPUs', 'num'], ['Memory', 'num'], ['Dominant share', 'num']];
    set(body, table(headers, [...model.frameworks.entries()].map(([id, f]) => row(id, f)), 'No frameworks are registered.'),
      h('h2', {}, 'Completed frameworks'),
      table(['ID', 'Name', 'Roles', 'User'], [...model.completedFrameworks.entries()].map(([id, f]) => [
        h('a', { href: `#/frameworks/${encodeURIComponent(id)}`, class: 'mono' }, id), f.framework_info.name || '',
        roles(f).join(', '), f.framework_info.user || '']), 'None.'));
  }
  return { el, update };
}

export function frameworkPage(id) {
  const head = h('div', {});
  const offers = h('div', {}, h('p', { class: 'muted' }, 'Loading offers…'));
  const tasks = h('div', {});
  const services = h('div', {});
  const el = h('section', {}, head, h('h2', {}, 'Outstanding offers'), offers, h('h2', {}, 'Tasks'), tasks, services);
  let servicesFor = null;
  let service = null;
  const pollOffers = async () => {
    try {
      const r = await call({ type: 'GET_FRAMEWORKS' });
      const f = ((r.get_frameworks || {}).frameworks || []).find((x) => val(x.framework_info.id) === id);
      const rows = ((f && f.offers) || []).map((o) => {
        const s = scalars(o.resources);
        return [h('span', { class: 'mono' }, val(o.id)), h('a', { href: `#/agents/${encodeURIComponent(val(o.agent_id))}` }, val(o.agent_id)),
          fmtNum(s.cpus), fmtMB(s.mem), fmtMB(s.disk), fmtNum(s.gpus)];
      });
      set(offers, table(['Offer', 'Agent', ['CPUs', 'num'], ['Memory', 'num'], ['Disk', 'num'], ['GPUs', 'num']], rows, 'No outstanding offers.'));
    } catch (e) {
      set(offers, h('p', { class: 'error' }, `Could not read offers: ${e.message}`));
    }
  };
  pollOffers();
  const timer = setInterval(pollOffers, OFFERS_EVERY_MS);

  function update(model) {
    const f = model.framework(id);
    if (!f) {
      set(head, h('h1', {}, `Framework ${id}`), h('p', { class: 'muted' }, 'No framework with this ID is known.'));
      return;
    }
    const info = f.framework_info;
    const t = totals(model);
    const used = t.byFramework.get(id) || scalars([]);
    const ds = dominantShare(used, t.total);
    set(head,
      h('h1', {}, `Framework ${info.name || id}`),
      kv([['ID', id], ['Name', info.name], ['Roles', roles(f).join(', ')], ['User', info.user], ['Principal', info.principal],
        ['Hostname', info.hostname], ['Web UI', info.webui_url ? h('a', { href: info.webui_url }, info.webui_url) : ''],
        ['Capabilities', (info.capabilities || []).map((c) => h('span', { class: 'tag' }, c.type))],
        ['Active', f.active ? 'yes' : 'no'], ['Registered', fmtTimeInfo(f.registered_time)],
        ['Allocated', `${fmtNum(used.cpus)} CPUs, ${fmtMB(used.mem)} memory, ${fmtMB(used.disk)} disk${used.gpus ? `, ${fmtNum(used.gpus)} GPUs` : ''}`],
        ['Dominant share', `${fmtPct(ds.share)}${ds.resource ? ` (${ds.resource})` : ''}`]]));
    set(tasks, taskTable(model, [...model.tasks.values()].filter((x) => val(x.framework_id) === id)));
    if (servicesFor !== info.webui_url) {
      servicesFor = info.webui_url;
      if (service) service.dispose();
      service = serviceSection(f);
      set(services, service ? service.el : null);
    }
    if (service) service.changed(model);
  }
  return { el, update, dispose: () => { clearInterval(timer); if (service) service.dispose(); } };
}
