// HTML that escapes by default. Every page is built with the `html` tagged template: an
// interpolated value is escaped unless it is already Html (another template, or raw() on text the
// code itself wrote). So a header value, a selection term or a username can never become markup,
// whichever route forgets to think about it.

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Text the code wrote itself, marked as markup. Never pass request data through this. */
export function raw(s: string): Html {
  return new Html(s);
}

/** What may go into a template hole: arrays are joined, null/undefined/false render as nothing. */
export type Interpolation =
  Html | string | number | boolean | null | undefined | Date | readonly Interpolation[];

function render(v: Interpolation): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v instanceof Date) return escapeHtml(v.toISOString());
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** A URL path segment from data (a file name, a selection term). */
export function seg(s: string): string {
  return encodeURIComponent(s);
}

/** Query string from pairs, skipping empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** UT date-time as people read it in archive tables: 2024-03-05 10:00:11. */
export function utText(d: Date | string | null | undefined): string {
  if (d === null || d === undefined) return '';
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return String(d);
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '')
    .replace(/Z$/, '');
}

/** A duration in seconds as "3 s", "4 min", "2 h", "5 d". */
export function ageText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, seconds);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** A labelled one-line form input, in its own paragraph (search and usage-report forms). */
export function labelledInput(o: {
  id: string;
  name: string;
  label: string;
  value: string | null | undefined;
  type?: string;
  hint?: string;
}): Html {
  return html`<p>
    <label for="${o.id}">${o.label}</label>
    <input
      type="${o.type ?? 'text'}"
      id="${o.id}"
      name="${o.name}"
      value="${o.value ?? ''}"
      ${o.hint ? html` placeholder="${o.hint}"` : ''}
    />
  </p>`;
}
