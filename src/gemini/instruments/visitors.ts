// Visiting instruments with their own data systems: GRACES (CFHT's ESPaDOnS fed by fibre from
// Gemini-North), MAROON-X (Gemini-North radial-velocity spectrograph), and the speckle imagers
// 'Alopeke (Gemini-North) and Zorro (Gemini-South).

import { decDegrees, raDegrees } from './generic.js';
import type { Ctx, Instrument } from './types.js';

export const graces: Instrument = {
  names: ['GRACES'],
  tags: () => [{ add: ['GRACES', 'SPECT'] }],
  descriptors: {
    disperser: () => 'GRACES',
    // A fixed-format echelle: the archive records the middle of its 0.4-1.05 µm range.
    centralWavelength: () => 0.7,
  },
};

export const maroonx: Instrument = {
  names: ['MAROON-X'],
  tags: () => [{ add: ['MAROON-X', 'SPECT'] }],
};

/**
 * The speckle cameras write few Gemini keywords: the archive fills the gaps with the site's
 * telescope, OBJECT as the type, and observation / data labels numbered 0.
 */
function speckle(telescope: string): Instrument['descriptors'] {
  const prog = (c: Ctx) => c.h.str('GEMPRGID')?.toUpperCase();
  return {
    telescope: (c) => {
      const t = c.h.str('TELESCOP')?.toLowerCase().replace(/[-_ ]/g, '');
      if (t === 'gemininorth') return 'Gemini-North';
      if (t === 'geminisouth') return 'Gemini-South';
      return telescope;
    },
    observationType: (c) => c.h.str('OBSTYPE')?.toUpperCase() ?? 'OBJECT',
    object: (c) => c.h.str('OBJECT') ?? c.h.str('Object'),
    observationId: (c) => {
      const p = prog(c);
      const obsid = c.h.str('OBSID')?.toUpperCase();
      if (obsid && obsid !== p) return obsid;
      return p === undefined ? undefined : `${p}-0`;
    },
    dataLabel: (c) => {
      const dl = c.h.str('DATALAB')?.toUpperCase();
      if (dl) return dl;
      const obs = c.d.observationId(c);
      return obs === undefined ? undefined : `${obs}-0`;
    },
    // The WCS (when present) is the best position; some Zorro files spell the RA axis 'RA--TAN'.
    ra: (c) => {
      for (const axis of ['1', '2']) {
        const t = c.h.str(`CTYPE${axis}`);
        if (t === 'RA---TAN' || t === 'RA--TAN') return c.h.num(`CRVAL${axis}`);
      }
      return raDegrees(c.h.raw('RA'));
    },
    dec: (c) => {
      for (const axis of ['1', '2']) {
        if (c.h.str(`CTYPE${axis}`) === 'DEC--TAN') return c.h.num(`CRVAL${axis}`);
      }
      return decDegrees(c.h.raw('DEC'));
    },
    exposureTime: (c) => c.h.num('EXPTIME'),
  };
}

export const alopeke: Instrument = { names: ['ALOPEKE'], descriptors: speckle('Gemini-North') };
export const zorro: Instrument = { names: ['ZORRO'], descriptors: speckle('Gemini-South') };
