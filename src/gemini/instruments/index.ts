// Which instrument module reads a file: chosen by the primary header's INSTRUME card.

import type { HeaderSet } from './headers.js';
import { f2 } from './f2.js';
import { gmos } from './gmos.js';
import type { Instrument } from './types.js';

/** Files of instruments without a module of their own get the Gemini-wide rules only. */
export const genericInstrument: Instrument = { names: [] };

export const INSTRUMENTS: readonly Instrument[] = [gmos, f2];

const BY_NAME = new Map<string, Instrument>();
for (const inst of INSTRUMENTS) for (const name of inst.names) BY_NAME.set(name, inst);

export function instrumentFor(h: HeaderSet): Instrument {
  const name = h.str('INSTRUME')?.toUpperCase();
  return (name && BY_NAME.get(name)) || genericInstrument;
}
