import { unrecognisedMessage, type Selection } from '../../gemini/selection/index.js';
import { CLOSED_QUERY_LIMIT, type OrderColumn } from '../../services/archive/search.js';
import type { PageSearch, ResultRow } from '../search/results.js';
import { html, query, seg, type Html } from './html.js';
import { notice } from './layout.js';

// Pieces shared by the search form's result table and the summaries: the warnings above a result
// table, sortable column headings, and the cells that depend on access.

export function searchNotices(sel: Selection, s: PageSearch | null): Html[] {
  const out: Html[] = [];
  const unrecognised = unrecognisedMessage(sel); // already says "WARNING: …"; escaped like any text
  if (unrecognised) out.push(notice('warning', unrecognised));
  for (const w of sel.warnings) out.push(notice('warning', w));
  if (!s) return out;
  if (s.badOrder) out.push(notice('warning', `Cannot sort by "${s.badOrder}": the default order is used.`));
  const { result } = s;
  if (result.open) {
    out.push(
      notice(
        'info',
        result.truncated
          ? `This search is not limited by a program, observation, file name or date, so only the ${result.limit} most recent matching files are shown. Add a program or a date to see the rest.`
          : 'This search is not limited by a program, observation, file name or date: at most the most recent ' +
              `${result.limit} matching files are shown.`,
      ),
    );
  } else if (result.truncated) {
    out.push(
      notice(
        'warning',
        `More than ${(result.limit ?? CLOSED_QUERY_LIMIT).toLocaleString('en-US')} files matched: only the first ${(result.limit ?? CLOSED_QUERY_LIMIT).toLocaleString('en-US')} are shown. Narrow the search to see the rest.`,
      ),
    );
  }
  return out;
}

/** A column heading that sorts by its column: ascending first, then descending on a second click. */
export function sortHeading(label: string, column: OrderColumn, s: PageSearch | null, sortable = true): Html {
  if (!sortable) return html`<th scope="col">${label}</th>`;
  const current = s?.order?.column === column ? s.order : null;
  const next = current && !current.desc ? `${column}_desc` : column;
  const aria = current ? (current.desc ? 'descending' : 'ascending') : undefined;
  const cls = current ? `sorted${current.desc ? ' desc' : ''}` : '';
  return html`<th scope="col" ${aria ? html` aria-sort="${aria}"` : ''}>
    <a class="${cls}" href="${query({ orderby: next })}">${label}</a>
  </th>`;
}

function releaseText(r: ResultRow): string {
  if (!r.release) return 'proprietary';
  const d = r.release instanceof Date ? r.release : new Date(r.release);
  const p = (n: number) => String(n).padStart(2, '0');
  // pg gives `date` columns as local midnight: local getters give the stored day back.
  return `proprietary until ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** A cell of the target name or position: withheld when the header's metadata is proprietary (PROP_MD) to this user. */
export function coordCell(r: ResultRow, text: string | null, cls = ''): Html {
  if (!r.coordsShown) return html`<td class="proprietary">withheld</td>`;
  return cls ? html`<td class="${cls}">${text}</td>` : html`<td>${text}</td>`;
}

/** Object name, or a note that it is withheld. */
export function objectCell(r: ResultRow): Html {
  return coordCell(r, r.object);
}

export function downloadCell(r: ResultRow): Html {
  return r.permitted
    ? html`<td><a href="/file/${seg(r.filename)}" download>Download</a></td>`
    : html`<td class="proprietary">${releaseText(r)}</td>`;
}

export function previewCell(r: ResultRow): Html {
  if (!r.hasPreview) return html`<td class="small">none yet</td>`;
  if (!r.permitted) return html`<td class="proprietary">withheld</td>`;
  return html`<td>
    <a href="/preview/${seg(r.name)}"
      ><img class="thumb" src="/thumbnail/${seg(r.name)}" alt="Preview of ${r.name}" loading="lazy"
    /></a>
  </td>`;
}

export function fmtNumber(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(Number(v)) ? '' : Number(v).toFixed(digits);
}
