// The FITS file of a fidelity case (test/gemini/fidelity-cases.ts), shared by the fidelity test
// and bench/metadata-fidelity.ts.

import { buildFits, type CardInput, type HduInput } from '../../src/fits/write.js';
import type { Cards, FidelityCase } from './fidelity-cases.js';

const PRIMARY_KEYS = new Set(['SIMPLE', 'BITPIX', 'NAXIS', 'EXTEND']);
const EXTENSION_KEYS = new Set(['XTENSION', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT']);

const rest = (cards: Cards, skip: Set<string>): CardInput[] =>
  Object.entries(cards)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => [k, v] as CardInput);

/** The FITS file of a case: its primary header, then each extension with zero pixels of its size. */
export function fitsOf(c: FidelityCase): Buffer {
  const exts = c.extensions ?? [];
  const hdus: HduInput[] = [
    {
      cards: [
        ['SIMPLE', true],
        ['BITPIX', 8],
        ['NAXIS', 0],
        ...(exts.length ? ([['EXTEND', true]] as CardInput[]) : []),
        ...rest(c.primary, PRIMARY_KEYS),
      ],
    },
    ...exts.map((e) => {
      const n1 = Number(e.NAXIS1);
      const n2 = Number(e.NAXIS2);
      const bitpix = Number(e.BITPIX);
      return {
        cards: [
          ['XTENSION', 'IMAGE'],
          ['BITPIX', bitpix],
          ['NAXIS', 2],
          ['NAXIS1', n1],
          ['NAXIS2', n2],
          ['PCOUNT', 0],
          ['GCOUNT', 1],
          ...rest(e, EXTENSION_KEYS),
        ] as CardInput[],
        data: Buffer.alloc((Math.abs(bitpix) / 8) * n1 * n2),
      };
    }),
  ];
  return buildFits(hdus);
}
