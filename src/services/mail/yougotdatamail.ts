// The words of the new-data mails: a short text part (what FitsStorage's YouGotDataEmail said) with
// the list of files, and an HTML part with the summary table the archive's summary page shows.

/** One file of the night, from the local database or the archive's /jsonsummary. */
export interface FileSummary {
  filename: string;
  data_label: string | null;
  ut_datetime: string | null;
  instrument: string | null;
  object: string | null;
  observation_type: string | null;
  observation_class: string | null;
  qa_state: string | null;
  exposure_time: number | null;
}

export interface Composed {
  subject: string;
  text: string;
  html?: string;
}

const COLUMNS: Array<[keyof FileSummary, string]> = [
  ['filename', 'Filename'],
  ['data_label', 'Data Label'],
  ['ut_datetime', 'UT Date Time'],
  ['instrument', 'Instrument'],
  ['object', 'Object'],
  ['observation_type', 'Obs Type'],
  ['observation_class', 'Obs Class'],
  ['exposure_time', 'Exp Time'],
  ['qa_state', 'QA State'],
];

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

export function newDataMail(o: {
  selection: string;
  date: string;
  files: FileSummary[];
  searchUrl: string | null;
  check: boolean;
}): Composed {
  const subject = o.check ? `Data set to CHECK for ${o.selection}` : `New Data for ${o.selection}`;
  const intro = o.check
    ? [
        `New data has been marked with QA state CHECK for ${o.selection} (${o.date}).`,
        '',
        'Please check the data and set the QA state appropriately.',
      ]
    : [
        `New data has been taken for ${o.selection} (${o.date}).`,
        '',
        ...(o.searchUrl ? [`The archive search for this data may be found at: ${o.searchUrl}`, ''] : []),
        'Data Quality assessment will proceed as normal over the next few days.',
      ];
  const list = o.files.map(
    (f) =>
      `  ${f.filename}  ${cell(f.data_label)}  ${cell(f.object)}  ${cell(f.observation_type)}  ${cell(f.qa_state)}`,
  );
  const text = [...intro, '', `${o.files.length} file${o.files.length === 1 ? '' : 's'}:`, ...list, ''].join(
    '\n',
  );

  const head = COLUMNS.map(([, title]) => `<th>${escapeHtml(title)}</th>`).join('');
  const rows = o.files
    .map((f) => `<tr>${COLUMNS.map(([k]) => `<td>${escapeHtml(cell(f[k]))}</td>`).join('')}</tr>`)
    .join('\n');
  const link = o.searchUrl ? `<p><a href="${escapeHtml(o.searchUrl)}">Search form for this data</a></p>` : '';
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body>
<p>${escapeHtml(intro[0])}</p>
${link}
<table border="1" cellspacing="0" cellpadding="3">
<tr>${head}</tr>
${rows}
</table>
</body></html>
`;
  return { subject, text, html };
}

export interface Problem {
  notificationId?: number;
  label?: string;
  message: string;
}

export function digestMail(o: { date: string; check: boolean; problems: Problem[] }): Composed {
  const what = o.check ? 'you-got-data-email --check' : 'you-got-data-email';
  const lines = o.problems.map(
    (p) => `- ${p.label ? `${p.label} (notification ${p.notificationId}): ` : ''}${p.message}`,
  );
  return {
    subject: `Problems in ${what} for ${o.date}`,
    text: [
      `${what} for ${o.date} found ${o.problems.length} problem${o.problems.length === 1 ? '' : 's'}:`,
      '',
      ...lines,
      '',
    ].join('\n'),
  };
}
