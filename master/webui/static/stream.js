// The master's operator event stream: POST /api/v1 {"type":"SUBSCRIBE"}
// answers SUBSCRIBED (the whole state), then events as they happen and a
// HEARTBEAT every heartbeat_interval_seconds. When the stream ends, fails
// or stays silent past two heartbeats, it is opened again after a backoff
// that doubles up to MAX_BACKOFF_MS; a new SUBSCRIBED replaces the state.

import { RecordReader } from './recordio.js';

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15000;

// subscribe calls onEvent(event) for each event and onStatus(state, info)
// with "connecting", "live" or "reconnecting" ({delayMs, error}). It
// returns a function that stops it.
export function subscribe(onEvent, onStatus) {
  let stopped = false;
  let controller = null;
  let backoff = MIN_BACKOFF_MS;
  let timer = null;

  async function connect() {
    controller = new AbortController();
    let watchdog = null;
    let silenceMs = 45000; // until SUBSCRIBED says otherwise
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(new Error('no heartbeat from the master')), silenceMs);
    };
    let error = null;
    try {
      onStatus('connecting', {});
      alive();
      const resp = await fetch('/api/v1', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ type: 'SUBSCRIBE' }),
        signal: controller.signal,
        cache: 'no-store',
      });
      if (!resp.ok) throw new Error(`SUBSCRIBE: ${resp.status} ${(await resp.text()).slice(0, 200)}`);
      const reader = resp.body.getReader();
      const records = new RecordReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        alive();
        for (const rec of records.push(value)) {
          const ev = JSON.parse(rec);
          if (ev.type === 'SUBSCRIBED') {
            const hb = Number(ev.subscribed && ev.subscribed.heartbeat_interval_seconds) || 15;
            silenceMs = Math.max(5000, 2 * hb * 1000 + 5000);
            alive();
            backoff = MIN_BACKOFF_MS;
            onStatus('live', {});
          }
          onEvent(ev);
        }
      }
      error = new Error('the master ended the event stream');
    } catch (e) {
      error = controller.signal.aborted && controller.signal.reason ? controller.signal.reason : e;
    } finally {
      clearTimeout(watchdog);
    }
    if (stopped) return;
    const delayMs = backoff + Math.floor(Math.random() * backoff / 2);
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    onStatus('reconnecting', { delayMs, error });
    timer = setTimeout(connect, delayMs);
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (controller) controller.abort();
  };
}

// call sends one operator API call and returns the decoded response.
export async function call(body) {
  const resp = await fetch('/api/v1', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`${body.type}: ${resp.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : {};
}
