import { createPool } from '../src/db/pool.js';
import { parseSelection } from '../src/gemini/selection/index.js';
import { searchHeaders } from '../src/services/search.js';
import { searchPage } from '../src/server/views/searchform.js';
import { formValues } from '../src/server/search/fields.js';
const db = createPool('postgres://postgres@127.0.0.1:5432/bench_searchform_8786', 5);
const progs = (await db.query('SELECT DISTINCT program_id FROM header')).rows.map((r) => r.program_id);
let tq = 0, tr = 0, tp = 0;
for (let i = 0; i < 60; i++) {
  const sel = parseSelection(progs[i % progs.length]);
  let t = performance.now();
  const res = await searchHeaders(db, sel, {});
  const q = performance.now() - t;
  t = performance.now();
  const rows = res.rows.map((r) => Object.assign(r, { permitted: true, hasPreview: false }));
  const page = searchPage({ user: null, csrf: 'x', here: '/' }, formValues(sel), sel, progs[0], { result: res, rows, order: null, badOrder: null });
  const r = performance.now() - t;
  if (i >= 10) { tq += q; tr += r; }
}
console.log('query ms', tq / 50, 'render ms', tr / 50);
const e = await db.query(`EXPLAIN ANALYZE SELECT h.*, df.filename, f.name FROM header h JOIN diskfile df ON df.id = h.diskfile_id JOIN file f ON f.id = df.file_id WHERE df.canonical AND h.program_id = $1 ORDER BY h.ut_datetime LIMIT 10001`, [progs[3]]);
console.log(e.rows.map((r) => r['QUERY PLAN']).join('\n'));
await db.end();
