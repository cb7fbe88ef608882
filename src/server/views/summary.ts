import type { Selection } from '../../gemini/selection/index.js';
import type { PageSearch, ResultRow } from '../search/results.js';
import { html, seg, utText, type Html } from './html.js';
import { layout, type PageContext } from './layout.js';
import { coordCell, downloadCell, fmtNumber, objectCell, searchNotices, sortHeading } from './results.js';

// /summary/<selection> and /summary/nolinks/<selection>: the archive's summary table. The
// nolinks form is for pasting into observing logs and mails: plain text cells, no sorting links.

function waveband(r: ResultRow): string {
  const parts = [r.filter_name, r.disperser && r.disperser !== 'MIRROR' ? r.disperser : null];
  if (r.spectroscopy && r.central_wavelength) parts.push(`${fmtNumber(r.central_wavelength, 3)} µm`);
  return parts.filter(Boolean).join(' ');
}

function row(r: ResultRow, links: boolean): Html {
  const coords = html`${coordCell(r, fmtNumber(r.ra, 5), 'num')} ${coordCell(r, fmtNumber(r.dec, 5), 'num')}`;
  return html`<tr>
    <th scope="row">
      ${links && r.coordsShown ? html`<a href="/fullheader/${seg(r.name)}">${r.name}</a>` : r.name}
    </th>
    <td>
      ${links && r.data_label ? html`<a href="/summary/${seg(r.data_label)}">${r.data_label}</a>` : r.data_label}
    </td>
    <td>${utText(r.ut_datetime)}</td>
    <td>${r.instrument}</td>
    <td>${r.observation_type}</td>
    <td>${r.observation_class}</td>
    ${objectCell(r)} ${coords}
    <td>${waveband(r)}</td>
    <td class="num">${fmtNumber(r.exposure_time, 2)}</td>
    ${coordCell(r, fmtNumber(r.airmass, 3), 'num')}
    <td>${r.raw_iq}/${r.raw_cc}/${r.raw_wv}/${r.raw_bg}</td>
    <td>${r.qa_state}</td>
    ${links ? downloadCell(r) : ''}
  </tr> `;
}

export function summaryPage(pc: PageContext, sel: Selection, s: PageSearch | null, links: boolean): Html {
  const body = s
    ? html`<p role="status"><strong>${s.rows.length}</strong> file${s.rows.length === 1 ? '' : 's'}.</p>
        <div class="scroll">
          <table class="summary">
            <caption class="visually-hidden">
              Summary of the selected files
            </caption>
            <thead>
              <tr>
                ${sortHeading('Filename', 'filename', s, links)}
                ${sortHeading('Data label', 'data_label', s, links)}
                ${sortHeading('UT date time', 'ut_datetime', s, links)}
                ${sortHeading('Instrument', 'instrument', s, links)}
                ${sortHeading('Type', 'observation_type', s, links)}
                ${sortHeading('Class', 'observation_class', s, links)}
                ${sortHeading('Object', 'object', s, links)} ${sortHeading('RA', 'ra', s, links)}
                ${sortHeading('Dec', 'dec', s, links)} ${sortHeading('Waveband', 'filter_name', s, links)}
                ${sortHeading('Exposure (s)', 'exposure_time', s, links)}
                ${sortHeading('Airmass', 'airmass', s, links)}
                <th scope="col">
                  <abbr title="Raw image quality / cloud cover / water vapour / background percentiles"
                    >IQ/CC/WV/BG</abbr
                  >
                </th>
                ${sortHeading('QA', 'qa_state', s, links)} ${links ? html`<th scope="col">Download</th>` : ''}
              </tr>
            </thead>
            <tbody>
              ${s.rows.map((r) => row(r, links))}
            </tbody>
          </table>
        </div>`
    : '';
  return layout(pc, { title: 'Summary', body: html`${searchNotices(sel, s)}${body}` });
}
