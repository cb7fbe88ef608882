import type { Selection } from '../../gemini/selection/index.js';
import {
  BINNING_OPTIONS,
  DATETYPE_OPTIONS,
  ENGINEERING_OPTIONS,
  INSTRUMENT_OPTIONS,
  MODE_OPTIONS,
  OBSCLASS_OPTIONS,
  OBSTYPE_OPTIONS,
  QA_OPTIONS,
  type FormValues,
  type Options,
} from '../search/fields.js';
import type { PageSearch } from '../search/results.js';
import { html, labelledInput, seg, utText, type Html } from './html.js';
import { layout, type PageContext } from './layout.js';
import { downloadCell, objectCell, previewCell, searchNotices, sortHeading } from './results.js';

// /searchform: the form (GET /searchform?… → redirect to /searchform/<terms>) and the result
// table, inside a POST form for "download the ticked files".

function text(name: keyof FormValues, label: string, v: FormValues, hint?: string): Html {
  return labelledInput({ id: `f-${name}`, name, label, value: v[name], hint });
}

function select(name: keyof FormValues, label: string, v: FormValues, options: Options, any = 'Any'): Html {
  const current = v[name];
  // A value from the URL that the list does not offer is still shown, so the form says what was searched.
  const all =
    current && !options.some(([o]) => o === current) ? [...options, [current, current] as const] : options;
  const hasBlank = all.some(([o]) => o === '');
  return html`<p>
    <label for="f-${name}">${label}</label>
    <select id="f-${name}" name="${name}">
      ${hasBlank ? '' : html`<option value="">${any}</option>`}${all.map(
        ([o, l]) => html`<option value="${o}" ${o === current ? ' selected' : ''}>${l}</option>`,
      )}
    </select>
  </p>`;
}

function searchFormHtml(v: FormValues): Html {
  return html`<form class="search" method="get" action="/searchform" role="search">
    <fieldset>
      <legend>What</legend>
      <div class="grid">
        ${text('program', 'Program, observation or data label', v, 'GN-2024A-Q-101')}
        ${select('instrument', 'Instrument', v, INSTRUMENT_OPTIONS)}
        ${select('obstype', 'Observation type', v, OBSTYPE_OPTIONS)}
        ${select('obsclass', 'Observation class', v, OBSCLASS_OPTIONS)}
        ${select('mode', 'Mode', v, MODE_OPTIONS)} ${select('binning', 'Binning', v, BINNING_OPTIONS)}
      </div>
    </fieldset>
    <fieldset>
      <legend>When</legend>
      <div class="grid">
        ${text('date', 'Date or range', v, '20240305 or 20240301-20240331')}
        ${select('datetype', 'Dates are', v, DATETYPE_OPTIONS)}
      </div>
    </fieldset>
    <fieldset>
      <legend>Target</legend>
      <div class="grid">
        ${text('object', 'Object name', v, 'NGC 1068 (* wildcards)')}
        ${text('ra', 'RA (degrees or HH:MM:SS)', v)} ${text('dec', 'Dec (degrees or ±DD:MM:SS)', v)}
        ${text('sr', 'Search radius (arcsec; d/m suffix)', v, '180')}
      </div>
    </fieldset>
    <fieldset>
      <legend>Quality</legend>
      <div class="grid">
        ${select('qa', 'QA state', v, QA_OPTIONS)}
        ${select('engineering', 'Engineering data', v, ENGINEERING_OPTIONS)}
        ${text('terms', 'More terms (URL grammar)', v, 'filter=r canonical')}
      </div>
    </fieldset>
    <p><button type="submit">Search</button> <a href="/searchform">Reset</a></p>
  </form>`;
}

function resultTable(pc: PageContext, selPath: string, s: PageSearch): Html {
  const rows = s.rows;
  if (rows.length === 0) return html`<p role="status">No files matched.</p>`;
  const permitted = rows.filter((r) => r.permitted).length;
  const withheld = rows.length - permitted;
  return html`<p role="status">
      <strong>${rows.length}</strong> file${rows.length === 1 ? '' : 's'}
      found${withheld ? html`; ${withheld} of them proprietary (not downloadable by you)` : ''}.
      ${permitted ? html`<a href="/download/${selPath}">Download all ${permitted} permitted file${permitted === 1 ? '' : 's'} as a tar</a>` : ''}
    </p>
    <form method="post" action="/download/" class="results">
      <input type="hidden" name="csrf" value="${pc.csrf}" />
      <div class="scroll">
        <table class="results">
          <caption class="visually-hidden">
            Files matching the search
          </caption>
          <thead>
            <tr>
              <th scope="col"><span class="visually-hidden">Select</span></th>
              ${sortHeading('Filename', 'filename', s)} ${sortHeading('Data label', 'data_label', s)}
              ${sortHeading('UT date time', 'ut_datetime', s)} ${sortHeading('Instrument', 'instrument', s)}
              ${sortHeading('Object', 'object', s)} ${sortHeading('Type', 'observation_type', s)}
              ${sortHeading('Class', 'observation_class', s)} ${sortHeading('QA', 'qa_state', s)}
              <th scope="col">Preview</th>
              <th scope="col">Download</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (r) =>
                html`<tr>
                  <td>
                    ${r.permitted ? html`<input type="checkbox" name="files" value="${r.name}" aria-label="Select ${r.name}" />` : ''}
                  </td>
                  <th scope="row"><a href="/fullheader/${seg(r.name)}">${r.name}</a></th>
                  <td>${r.data_label}</td>
                  <td>${utText(r.ut_datetime)}</td>
                  <td>${r.instrument}</td>
                  ${objectCell(r)}
                  <td>${r.observation_type}</td>
                  <td>${r.observation_class}</td>
                  <td>${r.qa_state}</td>
                  ${previewCell(r)} ${downloadCell(r)}
                </tr> `,
            )}
          </tbody>
        </table>
      </div>
      ${permitted ? html`<p><button type="submit">Download selected files</button></p>` : ''}
    </form>`;
}

export function searchPage(
  pc: PageContext,
  v: FormValues,
  sel: Selection | null,
  selPath: string,
  s: PageSearch | null,
): Html {
  return layout(pc, {
    title: 'Search the archive',
    body: html`${searchFormHtml(v)} ${sel ? searchNotices(sel, s) : ''}
    ${
      s
        ? html`<h2>Results</h2>
            ${resultTable(pc, selPath, s)}`
        : ''
    }`,
  });
}
