// Report of how the metadata extraction agrees with the archive's values on the project's own
// per-instrument fixtures (test/gemini/fidelity-cases.ts): field by field and instrument by
// instrument. The test test/gemini/fidelity.test.ts asserts the same through the real ingest.
//
//   node --import tsx bench/metadata-fidelity.ts [--diff]

import { parseHeader } from '../src/fits/header.js';
import { extractMetadata } from '../src/gemini/metadata.js';
import { FIDELITY_CASES } from '../test/gemini/fidelity-cases.js';
import { fitsOf } from '../test/gemini/fidelity-build.js';
import { compareRow, summarise } from './metadata-fidelity-lib.js';

/** The headers of a case as the reader sees them in its FITS file. */
function headersOf(bytes: Buffer) {
  const out = [];
  let off = 0;
  while (off < bytes.length) {
    const { header, size } = parseHeader(bytes.subarray(off));
    out.push(header);
    const n = (k: string) => Number(header.get(k) ?? 0);
    const naxis = n('NAXIS');
    let data = naxis > 0 ? Math.abs(n('BITPIX')) / 8 : 0;
    for (let i = 1; i <= naxis; i++) data *= n(`NAXIS${i}`);
    off += size + Math.ceil(data / 2880) * 2880;
  }
  return out;
}

const results = FIDELITY_CASES.map((c) => {
  const row = extractMetadata(headersOf(fitsOf(c)), { filename: c.filename });
  // phot_standard needs the database's list of standards: the fidelity test checks it.
  const { phot_standard: _skipped, ...expected } = c.expected;
  return compareRow(c.filename, row, { instrument: c.instrument, ...expected }, 'expected');
});
const t = summarise(results, {
  showDiff: process.argv.includes('--diff'),
  out: (s) => process.stdout.write(s + '\n'),
});
const bad = [...t.fields.values()].some((v) => v.ok < v.n);
process.exitCode = bad ? 1 : 0;
