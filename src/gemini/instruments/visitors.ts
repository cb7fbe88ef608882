// Visiting instruments with their own data systems: GRACES (CFHT's ESPaDOnS fed by fibre from
// Gemini-North), MAROON-X (Gemini-North radial-velocity spectrograph), and the speckle imagers
// 'Alopeke (Gemini-North) and Zorro (Gemini-South).

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
  // Read without astrodata's Gemini descriptors: no read mode is recorded.
  descriptors: { readMode: () => undefined },
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
    // astrodata's rule: a WCS whose first axis is RA, else RA/DEC cards in degrees. The speckle
    // cameras write their WCS with the axes swapped (CTYPE1 = 'DEC--TAN') and RA/DEC as
    // sexagesimal strings, so the archive records no position for them.
    ra: (c) => (c.h.str('CTYPE1')?.startsWith('RA') ? c.h.num('CRVAL1') : c.h.num('RA')),
    dec: (c) => (c.h.str('CTYPE1')?.startsWith('RA') ? c.h.num('CRVAL2') : c.h.num('DEC')),
    exposureTime: (c) => c.h.num('EXPTIME'),
  };
}

export const alopeke: Instrument = { names: ['ALOPEKE'], descriptors: speckle('Gemini-North') };
export const zorro: Instrument = { names: ['ZORRO'], descriptors: speckle('Gemini-South') };
