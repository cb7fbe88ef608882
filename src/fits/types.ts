// Shared shapes of the FITS reader. Other layers (gemini, services) depend only on these.

/** A typed card value: strings unquoted (CONTINUE joined), logicals as booleans, numbers as numbers. */
export type CardValue = string | number | boolean | null;

export interface Card {
  /**
   * Keyword, upper case; for HIERARCH cards the full spaced name (without "HIERARCH "), in the case
   * written (as astropy does). Lookups through Header are case-insensitive either way.
   */
  keyword: string;
  /** undefined for commentary cards (COMMENT, HISTORY, blank) and cards without a value indicator. */
  value?: CardValue;
  comment?: string;
  /** The raw 80-char image(s) of the card, CONTINUE cards included. */
  raw: string;
}

export interface Header {
  cards: Card[];
  /** First value of a keyword (case-insensitive), undefined when absent. */
  get(keyword: string): CardValue | undefined;
  has(keyword: string): boolean;
}

export interface Hdu {
  index: number;
  header: Header;
  /** Byte offset of the header start in the (decompressed) stream. */
  headerOffset: number;
  /** Number of header bytes (multiple of 2880). */
  headerSize: number;
  /** Byte offset of the data in the (decompressed) stream. */
  dataOffset: number;
  /** Data size in bytes without padding (|BITPIX|/8 * GCOUNT*(PCOUNT+prod(NAXISn))). */
  dataSize: number;
  /** Data size padded to a multiple of 2880. */
  paddedDataSize: number;
  /** Set when the stream ended inside this HDU's data unit. */
  truncated?: boolean;
}

/** A structural problem found while reading a file; `fatal` problems stop the read. */
export interface FitsProblem {
  hdu?: number;
  kind:
    | 'not-fits'
    | 'truncated-header'
    | 'missing-end'
    | 'truncated-data'
    | 'bad-card'
    | 'bad-keyword'
    | 'missing-keyword'
    | 'trailing-bytes'
    | 'bad-value'
    | 'read-error';
  message: string;
  fatal: boolean;
  /** 'warning' for problems that do not make the file invalid (fitsverify's warnings); default 'error'. */
  severity?: 'error' | 'warning';
}
