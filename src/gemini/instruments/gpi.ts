// GPI: the Gemini Planet Imager, an extreme-AO coronagraph feeding an integral-field
// spectrograph (prism) or polarimeter (Wollaston).

import { removeComponentId } from './headers.js';
import { pretty, targetPosition } from './generic.js';
import type { Instrument } from './types.js';

export const gpi: Instrument = {
  names: ['GPI'],
  tags: (h) => {
    const disp = h.str('DISPERSR') ?? '';
    return [
      { add: ['GPI'] },
      disp.startsWith('DISP_PRISM') && { add: ['SPECT', 'IFU'] },
      disp.startsWith('DISP_WOLLASTON') && { add: ['POL'] },
      h.str('OBSTYPE') === 'DARK' && { add: ['DARK', 'CAL'] },
      h.str('OBSTYPE') === 'ARC' && { add: ['ARC', 'CAL'] },
      h.str('OBSTYPE') === 'FLAT' && { add: ['FLAT', 'CAL'] },
    ];
  },
  descriptors: {
    // The science-extension WCS describes the IFS detector, not the sky: the target cards with
    // offsets and proper motion (RA, DEC, RAOFFSET, RATRGOFF, DECOFFSE, DECTRGOF, PMRA, PMDEC, EPOCH).
    ra: (c) => targetPosition(c)?.ra,
    dec: (c) => targetPosition(c)?.dec,
    // ITIME: true integration time per coadd, in the science extension; raw data sum COADDS of them.
    exposureTime: (c) => {
      const t = c.h.extNum('ITIME') ?? c.h.num('ITIME');
      if (t === undefined || t < 0) return undefined;
      return c.tags.has('PREPARED') ? t : t * (c.d.coadds(c) ?? 1);
    },
    // 'IFSFILT_K2_G1215' → 'K2'
    filterName: (c) => {
      const f = c.h.str('IFSFILT');
      return f === undefined ? undefined : removeComponentId(f).replace(/^IFSFILT_/, '');
    },
    focalPlaneMask: (c) => pretty(c.h.str('OCCULTER')),
  },
};
