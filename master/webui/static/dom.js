// DOM helpers. Every string from the cluster (task names, labels, hosts)
// becomes a text node: nothing here parses HTML.

// h builds an element. attrs: "class", "text", "href" (checked by
// safeHref), "on<event>" functions, anything else as an attribute.
// Children: nodes, strings (text), numbers, arrays, null/undefined (skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'href') { const u = safeHref(v); if (u) el.setAttribute('href', u); }
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// safeHref admits in-page routes, same-origin paths and http(s) URLs, so
// a framework's webui_url cannot become a javascript: link.
export function safeHref(v) {
  const s = String(v);
  if (s.startsWith('#') || (s.startsWith('/') && !s.startsWith('//'))) return s;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch { return null; }
}

// set replaces el's children.
export function set(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// table builds a table from column headers (strings, or [text, "num"])
// and rows: arrays of cells (nodes or text), or { cells, attrs } when the
// row needs attributes (h's attrs).
export function table(headers, rows, empty = 'None.') {
  if (!rows.length) return h('p', { class: 'muted', text: empty });
  const th = headers.map((c) => Array.isArray(c) ? h('th', { class: c[1] }, c[0]) : h('th', {}, c));
  const numeric = headers.map((c) => Array.isArray(c) && c[1] === 'num');
  return h('table', {},
    h('thead', {}, h('tr', {}, th)),
    h('tbody', {}, rows.map((r) => h('tr', Array.isArray(r) ? {} : r.attrs,
      (Array.isArray(r) ? r : r.cells).map((cell, i) => h('td', { class: numeric[i] ? 'num' : null }, cell))))));
}

// kv builds a definition list from [label, value] pairs, skipping empty values.
export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function card(label, value, sub, id) {
  return h('div', { class: 'card', id }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value),
    sub ? h('div', { class: 'muted' }, sub) : null);
}

// bar shows used and offered fractions of a total.
export function bar(used, offered, total) {
  const pct = (x) => total > 0 ? Math.max(0, Math.min(100, 100 * x / total)) : 0;
  // Widths go through CSSOM: the CSP refuses style attributes.
  const u = h('span', {});
  u.style.width = `${pct(used)}%`;
  const o = h('span', { class: 'offered' });
  o.style.width = `${pct(offered)}%`;
  return h('div', { class: 'bar', title: `${fmtNum(used)} allocated, ${fmtNum(offered)} offered of ${fmtNum(total)}` }, u, o);
}

export function fmtNum(x) {
  if (x === undefined || x === null || Number.isNaN(x)) return '–';
  return Number.isInteger(x) ? String(x) : x.toFixed(x < 10 ? 2 : 1);
}

// fmtMB formats megabytes as Mesos reports mem and disk.
export function fmtMB(mb) {
  if (mb === undefined || mb === null) return '–';
  if (mb >= 1024 * 1024) return `${fmtNum(mb / 1024 / 1024)} TB`;
  if (mb >= 1024) return `${fmtNum(mb / 1024)} GB`;
  return `${fmtNum(mb)} MB`;
}

export function fmtPct(x) {
  return x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)}%`;
}

// fmtTime formats seconds since the epoch.
export function fmtTime(sec) {
  if (!sec) return '';
  const d = new Date(sec * 1000);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

// fmtTimeInfo formats a Mesos TimeInfo ({nanoseconds}).
export function fmtTimeInfo(t) {
  return t && t.nanoseconds ? fmtTime(Number(t.nanoseconds) / 1e9) : '';
}

export function stateTag(state) {
  return h('span', { class: `state ${state || ''}` }, (state || '').replace(/^TASK_/, ''));
}
