// Which instrument module reads a file: chosen by the primary header's INSTRUME card.

import type { HeaderSet } from './headers.js';
import { f2 } from './f2.js';
import { ghost } from './ghost.js';
import { gmos } from './gmos.js';
import { gpi } from './gpi.js';
import { gsaoi } from './gsaoi.js';
import { igrins, igrins2 } from './igrins.js';
import {
  bhros,
  cirpass,
  flamingos,
  hokupaa,
  hrwfs,
  michelle,
  nici,
  oscir,
  phoenix,
  texes,
  trecs,
} from './legacy.js';
import { alopeke, graces, maroonx, zorro } from './visitors.js';
import { gnirs } from './gnirs.js';
import { nifs } from './nifs.js';
import { niri } from './niri.js';
import type { Instrument } from './types.js';

/** Files of instruments without a module of their own get the Gemini-wide rules only. */
const genericInstrument: Instrument = { names: [] };

const INSTRUMENTS: readonly Instrument[] = [
  gmos,
  f2,
  niri,
  gnirs,
  nifs,
  gsaoi,
  ghost,
  gpi,
  igrins,
  igrins2,
  graces,
  maroonx,
  alopeke,
  zorro,
  michelle,
  trecs,
  nici,
  phoenix,
  bhros,
  oscir,
  flamingos,
  cirpass,
  hrwfs,
  texes,
  hokupaa,
];

const BY_NAME = new Map<string, Instrument>();
for (const inst of INSTRUMENTS) for (const name of inst.names) BY_NAME.set(name, inst);

export function instrumentFor(h: HeaderSet): Instrument {
  const name = h.str('INSTRUME')?.toUpperCase();
  return (name && BY_NAME.get(name)) || genericInstrument;
}
