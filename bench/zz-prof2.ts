import { createPool } from '../src/db/pool.js';
const db = createPool('postgres://postgres@127.0.0.1:5432/bench_searchform_8786', 5);
const progs = (await db.query('SELECT DISTINCT program_id FROM header')).rows.map((r) => r.program_id);
async function t(label: string, sql: string) {
  let tot = 0;
  for (let i = 0; i < 80; i++) {
    const s = performance.now();
    await db.query(sql, [progs[(i * 37) % progs.length]]);
    if (i >= 20) tot += performance.now() - s;
  }
  console.log(label, (tot / 60).toFixed(2), 'ms');
}
const J = 'FROM header h JOIN diskfile df ON df.id = h.diskfile_id JOIN file f ON f.id = df.file_id WHERE df.canonical AND h.program_id = $1 ORDER BY h.ut_datetime LIMIT 10001';
await t('h.* + df + f', `SELECT h.*, df.filename, df.path, df.file_md5, df.file_size, df.data_md5, df.data_size, df.lastmod, df.entrytime, df.present, df.canonical, df.compressed, df.mdready, f.name ${J}`);
await t('h.* minus keywords', `SELECT h.id, h.diskfile_id, h.program_id, h.observation_id, h.data_label, h.instrument, h.ut_datetime, h.object, h.observation_type, h.observation_class, h.qa_state, h.release, h.engineering, h.ra, h.dec, df.filename, f.name ${J}`);
await t('count only', `SELECT count(*) FROM (SELECT 1 ${J}) x`);
await t('keywords::text', `SELECT h.keywords::text ${J}`);
await db.end();
