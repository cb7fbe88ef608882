import type { UsageDetails, UsageFilter, UsageRow } from '../status/usage.js';
import { html, labelledInput, query, utText, type Html, type Interpolation } from './html.js';
import { layout, notice, type PageContext } from './layout.js';

// /usagereport (filters and the newest rows first) and /usagedetails/<id> (one row in full, with
// the exception and stack of a failed request, and its query and download logs).

function field(name: keyof UsageFilter, label: string, f: UsageFilter, type = 'text', hint?: string): Html {
  return labelledInput({ id: `u-${name}`, name, label, value: f[name], type, hint });
}

export function usageReportPage(
  pc: PageContext,
  f: UsageFilter,
  r: { rows: UsageRow[]; problems: string[]; more: boolean },
  page: number,
): Html {
  const pageLink = (n: number) => query({ ...f, page: n || undefined });
  return layout(pc, {
    title: 'Usage report',
    body: html`<form class="filters" method="get" action="/usagereport">
        ${field('from', 'From (UT day)', f, 'date')} ${field('to', 'To (UT day, included)', f, 'date')}
        ${field('username', 'Username', f)}
        ${field('ip', 'IP address (* at the end: prefix)', f, 'text', '192.0.2.*')}
        ${field('feature', 'Feature (first path element)', f, 'text', 'searchform')}
        ${field('status', 'Status', f, 'text', '500 or 5xx')}
        <p><button type="submit">Show</button> <a href="/usagereport">Clear</a></p>
      </form>
      ${r.problems.map((p) => notice('warning', p))}
      <p role="status">
        ${r.rows.length} request${r.rows.length === 1 ? '' : 's'}${page ? `, page ${page + 1}` : ''}, newest
        first.
      </p>
      <div class="scroll">
        <table class="usage">
          <caption class="visually-hidden">
            Requests
          </caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">UT</th>
              <th scope="col">User</th>
              <th scope="col">IP</th>
              <th scope="col">Method</th>
              <th scope="col">URI</th>
              <th scope="col">Feature</th>
              <th scope="col">Status</th>
              <th scope="col">Bytes</th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            ${r.rows.map(
              (u) =>
                html`<tr>
                  <th scope="row"><a href="/usagedetails/${u.id}">${u.id}</a></th>
                  <td>${utText(u.utdatetime)}</td>
                  <td>${u.username}</td>
                  <td>${u.ip_address}</td>
                  <td>${u.method}</td>
                  <td>${u.uri}</td>
                  <td>${u.this}</td>
                  <td class="num">${u.status}</td>
                  <td class="num">${u.bytes}</td>
                  <td>${u.has_notes ? html`<a href="/usagedetails/${u.id}">notes</a>` : ''}</td>
                </tr> `,
            )}
          </tbody>
        </table>
      </div>
      <p>
        ${page > 0 ? html`<a href="${pageLink(page - 1)}">Newer</a> ` : ''}${r.more ? html`<a href="${pageLink(page + 1)}">Older</a>` : ''}
      </p>`,
  });
}

function kv(rows: [string, Interpolation][]): Html {
  return html`<table class="details">
    <tbody>
      ${rows.map(
        ([k, v]) =>
          html`<tr>
            <th scope="row">${k}</th>
            <td>${v}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function rowsTable(caption: string, rows: Record<string, unknown>[]): Html {
  if (rows.length === 0)
    return html`<h2>${caption}</h2>
      <p class="small">None.</p>`;
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) =>
    v instanceof Date ? utText(v) : v === null || v === undefined ? '' : String(v);
  return html`<h2>${caption}</h2>
    <table>
      <thead>
        <tr>
          ${cols.map((c) => html`<th scope="col">${c}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              ${cols.map((c) => html`<td>${cell(r[c])}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function usageDetailsPage(pc: PageContext, d: UsageDetails): Html {
  const u = d.row;
  return layout(pc, {
    title: `Request ${u.id}`,
    body: html`${kv([
        ['Id', String(u.id)],
        ['UT', utText(u.utdatetime as Date)],
        ['User', u.username ?? (u.user_id ? `id ${u.user_id}` : 'anonymous')],
        ['IP address', u.ip_address as string],
        ['Method', u.method as string],
        ['URI', u.uri as string],
        ['Feature', u.this as string],
        ['Status', String(u.status ?? '')],
        ['Bytes', String(u.bytes ?? '')],
        ['User agent', u.user_agent as string],
        ['Referrer', u.referrer as string],
      ])}
      <h2>Notes</h2>
      ${u.notes ? html`<pre class="notes">${u.notes}</pre>` : html`<p class="small">None.</p>`}
      ${rowsTable('Query log', d.queries)} ${rowsTable('Download log', d.downloads)}
      <p><a href="/usagereport">Back to the usage report</a></p>`,
  });
}
