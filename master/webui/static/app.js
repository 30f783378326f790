// The web UI's entry point: it keeps the model current from the event
// stream and renders the page the location hash names:
//   #/  #/agents  #/agents/<id>  #/frameworks  #/frameworks/<id>
//   #/tasks[?state=S&q=text]  #/tasks/<id>[?framework=<id>]  #/roles
//   #/apps[?app=<Marathon app ID> | ?job=<Chronos job name>]

import { Model } from './model.js';
import { subscribe } from './stream.js';
import { set, h } from './dom.js';
import { dashboardPage } from './dashboard.js';
import { agentsPage, agentPage } from './agents.js';
import { frameworksPage, frameworkPage } from './frameworks.js';
import { tasksPage, taskPage } from './tasks.js';
import { rolesPage } from './roles.js';
import { appsPage } from './apps.js';

// Bursts of events (a deployment, a reconnect) redraw at most this often.
const REDRAW_MS = 250;

const model = new Model();
const main = document.getElementById('main');
const conn = document.getElementById('conn');
const banner = document.getElementById('banner');
let page = null;
let drawn = -1;
let redraw = null;

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = hash.split('?', 2);
  const query = new URLSearchParams(qs || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [section, id] = parts;
  if (!section) return ['dashboard', dashboardPage()];
  if (section === 'agents') return ['agents', id ? agentPage(id) : agentsPage()];
  if (section === 'frameworks') return ['frameworks', id ? frameworkPage(id) : frameworksPage()];
  if (section === 'tasks') return ['tasks', id ? taskPage(id, query) : tasksPage(query)];
  if (section === 'roles') return ['roles', rolesPage()];
  if (section === 'apps') return ['apps', appsPage(query)];
  return ['', { el: h('p', {}, `No page at #${hash}. `, h('a', { href: '#/' }, 'Go to the dashboard.')), update() {} }];
}

function navigate() {
  if (page && page.dispose) page.dispose();
  let name;
  try {
    [name, page] = route();
  } catch (e) {
    name = '';
    page = { el: h('p', { class: 'error' }, `This link is malformed: ${e.message}`), update() {} };
  }
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === name);
  set(main, page.el);
  drawn = -1;
  draw();
}

function draw() {
  redraw = null;
  if (!model.ready || !page) return;
  drawn = model.version;
  page.update(model);
}

function scheduleDraw() {
  if (redraw === null && drawn !== model.version) redraw = setTimeout(draw, REDRAW_MS);
}

subscribe((ev) => {
  const wasReady = model.ready;
  model.apply(ev);
  if (!wasReady && model.ready) draw();
  else scheduleDraw();
}, (state, info) => {
  conn.dataset.state = state;
  conn.textContent = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
  if (state === 'reconnecting') {
    banner.hidden = false;
    banner.textContent = `Lost the master's event stream (${info.error ? info.error.message : 'closed'}); reconnecting in ${Math.round(info.delayMs / 100) / 10} s. The page shows the state as last seen.`;
  } else if (state === 'live') {
    banner.hidden = true;
  }
});

window.addEventListener('hashchange', navigate);
navigate();
