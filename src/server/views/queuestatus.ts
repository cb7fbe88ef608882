import type { QueueItem, QueueStatusData, QueueTab } from '../status/queues.js';
import { ageText, html, raw, type Html } from './html.js';
import { layout, type PageContext } from './layout.js';

// /queuestatus: a tab per queue (CSS :target tabs: they work without scripts), each heading
// with the number waiting and the number in error; waiting and error columns (first N; click an
// error for its message and stack), what is in progress, and the live workers. The script
// /static/queuestatus.js re-reads /queuestatus/json and rebuilds the same elements (same ids)
// every few seconds; without it, a <noscript> refresh reloads the page instead.

function waitingItem(it: QueueItem): Html {
  return html`<li>
    ${it.label}
    <span class="small"
      >${ageText(it.age)}
      ago${it.after ? html`, deferred until ${it.after}` : ''}${
        it.attempts > 0 ? `, ${it.attempts} attempt${it.attempts === 1 ? '' : 's'}` : ''
      }</span
    >
  </li>`;
}

function errorItem(q: QueueTab, it: QueueItem): Html {
  return html`<li>
    <details id="err-${q.name}-${it.id}">
      <summary>${it.label}</summary>
      <p class="small">
        failed after ${it.attempts} attempt${it.attempts === 1 ? '' : 's'}; added ${ageText(it.age)} ago
      </p>
      <pre>${it.error}</pre>
    </details>
  </li>`;
}

function inProgressRow(it: QueueItem): Html {
  return html`<tr>
    <td>${it.label}</td>
    <td>${it.worker}</td>
    <td class="num">${ageText(it.age)}</td>
    <td class="num">${it.heartbeatAge === null ? '' : `${ageText(it.heartbeatAge)} ago`}</td>
  </tr>`;
}

function section(q: QueueTab, limit: number): Html {
  const c = q.counts;
  return html`<section id="queue-${q.name}" aria-labelledby="h-${q.name}">
    <h2 id="h-${q.name}">${q.title} queue</h2>
    <p class="counts" id="counts-${q.name}">
      ${c.pending} waiting (${c.deferred} deferred), ${c.in_progress} in progress, ${c.failed} in error
    </p>
    <div class="columns">
      <div>
        <h3>Waiting <span class="small">(first ${limit})</span></h3>
        <ol id="waiting-${q.name}">
          ${q.waiting.map(waitingItem)}
        </ol>
        <p class="small" id="waiting-${q.name}-empty" ${q.waiting.length ? ' hidden' : ''}>
          Nothing waiting.
        </p>
      </div>
      <div>
        <h3>Errors <span class="small">(latest ${limit}; click one for its message and stack)</span></h3>
        <ul id="errors-${q.name}">
          ${q.errors.map((e) => errorItem(q, e))}
        </ul>
        <p class="small" id="errors-${q.name}-empty" ${q.errors.length ? ' hidden' : ''}>No errors.</p>
      </div>
    </div>
    <table>
      <caption>
        In progress
      </caption>
      <thead>
        <tr>
          <th scope="col">Item</th>
          <th scope="col">Worker</th>
          <th scope="col">Age</th>
          <th scope="col">Last heartbeat</th>
        </tr>
      </thead>
      <tbody id="inprogress-${q.name}">
        ${q.inProgress.map(inProgressRow)}
      </tbody>
    </table>
  </section>`;
}

function workersTable(d: QueueStatusData): Html {
  return html`<h2>Workers</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Queue</th>
          <th scope="col">Host</th>
          <th scope="col">PID</th>
          <th scope="col">Started</th>
          <th scope="col">Last heartbeat</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody id="workers">
        ${d.workers.map(
          (w) =>
            html`<tr>
              <td>${w.name}</td>
              <td>${w.queue}</td>
              <td>${w.host}</td>
              <td class="num">${w.pid}</td>
              <td>${w.started_at}</td>
              <td class="num">${ageText(w.heartbeatAge)} ago</td>
              <td class="${w.alive ? 'live' : 'dead'}">${w.alive ? 'alive' : 'not responding'}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function queueStatusPage(pc: PageContext, d: QueueStatusData, refreshSeconds: number): Html {
  return layout(pc, {
    title: 'Queue status',
    scripts: ['queuestatus.js'],
    head: html`<noscript><meta http-equiv="refresh" content="${Math.max(refreshSeconds, 10)}" /></noscript>`,
    body: html`<p class="small">
        Updated <time id="generated" datetime="${d.generated}">${d.generated}</time>; refreshes every
        <span id="refresh" data-seconds="${refreshSeconds}" data-limit="${d.limit}">${refreshSeconds}</span>
        s. <span id="refresh-state" role="status"></span>
      </p>
      <div class="tabs">
        <ul class="tablist">
          ${d.queues.map(
            (q) =>
              html`<li>
                <a href="#queue-${q.name}" id="tab-${q.name}"
                  >${q.title}
                  <span class="counts"
                    >(<span id="tab-waiting-${q.name}">${q.counts.pending}</span> waiting,
                    <span class="${q.counts.failed ? 'errors' : ''}" id="tab-errors-${q.name}"
                      >${q.counts.failed}</span
                    >
                    errors)</span
                  ></a
                >
              </li>`,
          )}
        </ul>
        ${d.queues.map((q) => section(q, d.limit))}
      </div>
      ${workersTable(d)}`,
  });
}

/** The self-refresh: rebuilds the lists above from /queuestatus/json with DOM calls (text only, never markup). */
export const QUEUESTATUS_JS = raw(`'use strict';
(function () {
  var info = document.getElementById('refresh');
  if (!info) return;
  var seconds = Math.max(1, Number(info.getAttribute('data-seconds')) || 10);
  var limit = Number(info.getAttribute('data-limit')) || 50;
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function age(s) {
    if (s === null || s === undefined || !isFinite(s)) return '';
    s = Math.max(0, s);
    if (s < 120) return Math.round(s) + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    if (s < 172800) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' d';
  }
  function fill(id, children) {
    var box = document.getElementById(id);
    if (!box) return;
    box.replaceChildren.apply(box, children);
    var empty = document.getElementById(id + '-empty');
    if (empty) empty.hidden = children.length > 0;
  }
  function set(id, text) {
    var e = document.getElementById(id);
    if (e) e.textContent = String(text);
  }
  function row(cells, classes) {
    var tr = el('tr');
    cells.forEach(function (c, i) { tr.appendChild(el('td', c, classes && classes[i])); });
    return tr;
  }
  function render(d) {
    d.queues.forEach(function (q) {
      var c = q.counts;
      set('tab-waiting-' + q.name, c.pending);
      set('tab-errors-' + q.name, c.failed);
      var te = document.getElementById('tab-errors-' + q.name);
      if (te) te.className = c.failed ? 'errors' : '';
      set('counts-' + q.name, c.pending + ' waiting (' + c.deferred + ' deferred), ' + c.in_progress + ' in progress, ' + c.failed + ' in error');
      fill('waiting-' + q.name, q.waiting.map(function (it) {
        var li = el('li', it.label + ' ');
        li.appendChild(el('span', age(it.age) + ' ago' + (it.after ? ', deferred until ' + it.after : '') + (it.attempts > 0 ? ', ' + it.attempts + (it.attempts === 1 ? ' attempt' : ' attempts') : ''), 'small'));
        return li;
      }));
      fill('errors-' + q.name, q.errors.map(function (it) {
        var id = 'err-' + q.name + '-' + it.id;
        var old = document.getElementById(id);
        var det = el('details');
        det.id = id;
        if (old && old.open) det.open = true; // keep what the reader opened
        det.appendChild(el('summary', it.label));
        det.appendChild(el('p', 'failed after ' + it.attempts + (it.attempts === 1 ? ' attempt' : ' attempts') + '; added ' + age(it.age) + ' ago', 'small'));
        det.appendChild(el('pre', it.error));
        var li = el('li');
        li.appendChild(det);
        return li;
      }));
      fill('inprogress-' + q.name, q.inProgress.map(function (it) {
        return row([it.label, it.worker, age(it.age), it.heartbeatAge === null ? '' : age(it.heartbeatAge) + ' ago'], [null, null, 'num', 'num']);
      }));
    });
    fill('workers', d.workers.map(function (w) {
      return row([w.name, w.queue, w.host, w.pid, w.started_at, age(w.heartbeatAge) + ' ago', w.alive ? 'alive' : 'not responding'],
        [null, null, null, 'num', null, 'num', w.alive ? 'live' : 'dead']);
    }));
    var g = document.getElementById('generated');
    if (g) { g.textContent = d.generated; g.setAttribute('datetime', d.generated); }
  }
  function tick() {
    fetch('/queuestatus/json?n=' + limit, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (d) { render(d); set('refresh-state', ''); })
      .catch(function (e) { set('refresh-state', 'Refresh failed (' + e.message + '); retrying.'); })
      .then(function () { setTimeout(tick, seconds * 1000); });
  }
  setTimeout(tick, seconds * 1000);
})();
`);
