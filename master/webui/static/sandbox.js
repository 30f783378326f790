// A task's sandbox through the master's agent-files proxy: a directory
// listing (browse) and live tails of stdout and stderr that poll
// /files/read from the last offset while the page is open.

import { h, set, table, fmtNum } from './dom.js';

const POLL_MS = 1000;
const READ_MAX = 64 * 1024; // the agents' cap on one read
const TAIL_START = 32 * 1024; // how much of an existing file a tail shows first
const KEEP_CHARS = 256 * 1024; // what a tail keeps on screen

const encoder = new TextEncoder();

function filesURL(agentID, endpoint, params) {
  return `/agents/${encodeURIComponent(agentID)}/files/${endpoint}?${new URLSearchParams(params)}`;
}

async function getJSON(url) {
  const resp = await fetch(url, { cache: 'no-store' });
  if (!resp.ok) {
    const err = new Error(`${resp.status} ${(await resp.text()).slice(0, 200)}`);
    err.status = resp.status;
    throw err;
  }
  return resp.json();
}

// sandboxView shows the sandbox of executorID on agentID; taskID locates
// the task's own directory when the executor runs a task group.
export function sandboxView(agentID, frameworkID, executorID, taskID) {
  const root = `/frameworks/${frameworkID}/executors/${executorID}/runs/latest`;
  const listing = h('div', { id: 'sandbox-listing' }, h('p', { class: 'muted' }, 'Loading the sandbox…'));
  const where = h('div', { class: 'note mono' });
  const tails = h('div', { class: 'cols' });
  const el = h('div', {}, h('h2', {}, 'Output'), tails, h('h2', {}, 'Sandbox'), where, listing);
  const active = [];
  let disposed = false;

  async function browse(path) {
    try {
      const entries = await getJSON(filesURL(agentID, 'browse', { path }));
      entries.sort((a, b) => a.path.localeCompare(b.path));
      const rows = entries.map((e) => {
        const name = e.path.split('/').pop();
        const isDir = e.mode && e.mode.startsWith('d');
        const link = isDir
          ? h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); browse(e.path); } }, `${name}/`)
          : h('a', { href: filesURL(agentID, 'download', { path: e.path }), download: name }, name);
        return [h('span', { class: 'mono' }, e.mode || ''), link, fmtNum(e.size), e.mtime ? new Date(e.mtime * 1000).toLocaleString() : ''];
      });
      const up = path !== root ? h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); browse(parent(path)); } }, '← up') : null;
      set(where, path, ' ', up);
      set(listing, table(['Mode', 'Name', ['Size', 'num'], 'Modified'], rows, 'The directory is empty.'));
      return entries;
    } catch (e) {
      set(listing, h('p', { class: 'error' }, `Could not list ${path}: ${e.message}`));
      return null;
    }
  }

  (async () => {
    const entries = await browse(root);
    let logDir = root;
    // A task group's tasks write below tasks/<task ID> in the executor's sandbox.
    if (entries && entries.some((e) => e.path.endsWith('/tasks')) && executorID !== taskID) {
      const sub = await getJSON(filesURL(agentID, 'browse', { path: `${root}/tasks` })).catch(() => []);
      if (sub.some((e) => e.path.endsWith(`/tasks/${taskID}`))) logDir = `${root}/tasks/${taskID}`;
    }
    if (disposed) return;
    for (const name of ['stdout', 'stderr']) {
      const t = tail(agentID, `${logDir}/${name}`, name);
      active.push(t);
      tails.appendChild(t.el);
    }
  })();

  return {
    el,
    setLive() {},
    dispose() {
      disposed = true;
      for (const t of active) t.stop();
    },
  };
}

function parent(p) {
  return p.slice(0, p.lastIndexOf('/')) || '/';
}

// tail follows one file: it starts TAIL_START bytes before the end and
// then reads from the last offset every POLL_MS.
function tail(agentID, path, label) {
  const pre = h('pre', { class: 'tail', id: `tail-${label}` });
  const status = h('span', { class: 'muted' }, 'starting…');
  const el = h('div', {}, h('div', { class: 'tailhead' }, h('span', {}, label, ' ', status),
    h('a', { href: filesURL(agentID, 'download', { path }), download: label }, 'download')), pre);
  let offset = null;
  let stopped = false;
  let timer = null;

  async function poll() {
    timer = null;
    let again = POLL_MS;
    try {
      if (offset === null) {
        const r = await getJSON(filesURL(agentID, 'read', { path, offset: -1 }));
        offset = Math.max(0, Number(r.offset) - TAIL_START);
      }
      const r = await getJSON(filesURL(agentID, 'read', { path, offset, length: READ_MAX }));
      const data = r.data || '';
      if (data) {
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.appendChild(document.createTextNode(data));
        if (pre.textContent.length > KEEP_CHARS) pre.textContent = pre.textContent.slice(-KEEP_CHARS);
        if (atBottom) pre.scrollTop = pre.scrollHeight;
        // Offsets count bytes; the agent sends the bytes as a string.
        const n = encoder.encode(data).length;
        offset = Number(r.offset) + n;
        if (n >= READ_MAX) again = 0; // more is waiting
      }
      set(status, `${fmtNum(offset)} bytes`);
    } catch (e) {
      set(status, e.status === 404 ? 'waiting for the file…' : `error: ${e.message}`);
    }
    if (!stopped) timer = setTimeout(poll, again);
  }
  poll();
  return { el, stop: () => { stopped = true; clearTimeout(timer); } };
}
