// Roles: weights (GET_WEIGHTS, GET_ROLES) and each role's allocation and
// share of the cluster.

import { h, set, table, fmtNum, fmtMB, fmtPct } from './dom.js';
import { call } from './stream.js';
import { scalars, totals, dominantShare, val } from './model.js';

const ROLES_EVERY_MS = 5000;

export function rolesPage() {
  const body = h('div', { id: 'roles' }, h('p', { class: 'muted' }, 'Loading roles…'));
  const el = h('section', {}, h('h1', {}, 'Roles'), body);
  let last = null;
  let data = null;
  const poll = async () => {
    try {
      const [r, w] = await Promise.all([call({ type: 'GET_ROLES' }), call({ type: 'GET_WEIGHTS' })]);
      data = { roles: (r.get_roles || {}).roles || [], weights: (w.get_weights || {}).weight_infos || [] };
      if (last) update(last);
    } catch (e) {
      set(body, h('p', { class: 'error' }, `Could not read roles: ${e.message}`));
    }
  };
  poll();
  const timer = setInterval(poll, ROLES_EVERY_MS);

  function update(model) {
    last = model;
    if (!data) return;
    const total = totals(model).total;
    const weights = new Map(data.weights.map((x) => [x.role, x.weight]));
    const rows = data.roles.map((r) => {
      const used = scalars(r.resources);
      const ds = dominantShare(used, total);
      const weight = r.weight !== undefined ? r.weight : (weights.get(r.name) ?? 1);
      return [r.name, fmtNum(weight), String((r.frameworks || []).length), fmtNum(used.cpus), fmtMB(used.mem), fmtMB(used.disk),
        fmtPct(total.cpus ? used.cpus / total.cpus : 0), fmtPct(total.mem ? used.mem / total.mem : 0),
        `${fmtPct(ds.share)}${ds.resource ? ` (${ds.resource})` : ''}`,
        fmtPct(weight > 0 ? ds.share / weight : 0)];
    });
    set(body,
      table(['Role', ['Weight', 'num'], ['Frameworks', 'num'], ['CPUs', 'num'], ['Memory', 'num'], ['Disk', 'num'],
        ['CPU share', 'num'], ['Memory share', 'num'], ['Dominant share', 'num'], ['Weighted share', 'num']], rows, 'No roles are in use.'),
      h('h2', {}, 'Configured weights'),
      table(['Role', ['Weight', 'num']], data.weights.map((x) => [x.role, fmtNum(x.weight)]), 'Every role has the default weight, 1.'));
  }
  return { el, update, dispose: () => clearInterval(timer) };
}

export { val };
