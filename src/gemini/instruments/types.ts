// The shape of an instrument module: how it recognises its files, which data-type tags it
// assigns, and which descriptors (header → value rules) it overrides. Unlisted descriptors fall
// back to the Gemini-wide rules in generic.ts, mirroring astrodata's class hierarchy, which is
// what the Gemini archive's values come from.

import type { HeaderSet } from './headers.js';
import type { TagRule } from './tags.js';

export interface Ctx {
  h: HeaderSet;
  /** Resolved tags of the file (available to descriptors, not to tag rules). */
  tags: ReadonlySet<string>;
  filename?: string;
  /** The file's descriptors (instrument overrides merged over the generic ones), for rules that build on others. */
  d: Descriptors;
  inst: Instrument;
}

type D<T> = (c: Ctx) => T | undefined;

export interface Descriptors {
  programId: D<string>;
  observationId: D<string>;
  dataLabel: D<string>;
  telescope: D<string>;
  instrument: D<string>;
  /** Epoch microseconds. */
  utDatetime: D<number>;
  /** Microseconds since local midnight. */
  localTime: D<number>;
  observationType: D<string>;
  observationClass: D<string>;
  object: D<string>;
  ra: D<number>;
  dec: D<number>;
  azimuth: D<number>;
  elevation: D<number>;
  airmass: D<number>;
  exposureTime: D<number>;
  filterName: D<string>;
  disperser: D<string>;
  camera: D<string>;
  /** Microns; only asked for spectroscopic data. */
  centralWavelength: D<number>;
  /** Microns: what wavelength_band is chosen by (filter for images, central wavelength for spectra). */
  effectiveWavelength: D<number>;
  focalPlaneMask: D<string>;
  detectorXBin: D<number>;
  detectorYBin: D<number>;
  detectorRoiSetting: D<string>;
  gainSetting: D<string>;
  readSpeedSetting: D<string>;
  wellDepthSetting: D<string>;
  coadds: D<number>;
  /**
   * The detector read mode as the archive writes it (astrodata's read_mode, blanks as '_'):
   * 'None' where the instrument has a read_mode but the header gives none (str(None) in the
   * archive's ingest); undefined (null) for instruments without astrodata's Gemini descriptors.
   */
  readMode: D<string>;
  /** Degrees, |value| ≤ 360. */
  cassRotatorPa: D<number>;
  adaptiveOptics: D<boolean>;
  laserGuideStar: D<boolean>;
  wavefrontSensor: D<string>;
  gcalLamp: D<string>;
  rawIq: D<number>;
  rawCc: D<number>;
  rawWv: D<number>;
  rawBg: D<number>;
  requestedIq: D<number>;
  requestedCc: D<number>;
  requestedWv: D<number>;
  requestedBg: D<number>;
  qaState: D<string>;
  /** YYYY-MM-DD */
  release: D<string>;
}

export interface Instrument {
  /** Upper-case INSTRUME values this module reads. */
  names: readonly string[];
  /** Tag rules of the instrument, added to the Gemini-wide ones. */
  tags?: (h: HeaderSet) => Array<TagRule | null | undefined | false>;
  /** Instrument-specific descriptors. */
  descriptors?: Partial<Descriptors>;
  /** Filter effective wavelengths (microns) that override the Gemini-wide table. */
  filterWavelengths?: Readonly<Record<string, number>>;
}
