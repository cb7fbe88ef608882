import { describe, expect, it } from 'vitest';
import { parseCards } from '../../src/fits/cards.js';
import { makeHeader } from '../../src/fits/header.js';
import { compressedImageCards } from '../../src/fits/imageview.js';

// Expected views are what astropy 5.2's fitsheader printed for the same binary-table headers
// (written by astropy's CompImageHDU, then edited by hand for the cases fpack and others write).

const header = (lines: string[]) => makeHeader(parseCards(lines.map((l) => l.padEnd(80))).cards);
const view = (lines: string[]) => compressedImageCards(header(lines)).map((c) => c.raw.trimEnd());

const TABLE = [
  "XTENSION= 'BINTABLE'           / binary table extension",
  'BITPIX  =                    8 / array data type',
  'NAXIS   =                    2 / number of array dimensions',
  'NAXIS1  =                    8 / width of table in bytes',
  'NAXIS2  =                  100 / number of rows in table',
  'PCOUNT  =                 5060 / number of group parameters',
  'GCOUNT  =                    1 / number of groups',
  'TFIELDS =                    1 / number of fields in each row',
  "TTYPE1  = 'COMPRESSED_DATA'    / label for field 1",
  "TFORM1  = '1PB(69) '           / data format of field: variable length array",
  'ZIMAGE  =                    T / extension contains compressed image',
];
const IMAGE_KEYS = [
  'ZBITPIX =                   16 / data type of original image',
  'ZNAXIS  =                    2 / dimension of original image',
  'ZNAXIS1 =                  120 / length of original image axis',
  'ZNAXIS2 =                  100 / length of original image axis',
];
const COMPRESSION = [
  'ZTILE1  =                  120 / size of tiles to be compressed',
  'ZTILE2  =                    1 / size of tiles to be compressed',
  "ZCMPTYPE= 'RICE_1  '           / compression algorithm",
  "ZNAME1  = 'BLOCKSIZE'          / compression block size",
  'ZVAL1   =                   32 / pixels per block',
];

describe('compressedImageCards (astropy CompImageHDU.header)', () => {
  it('rebuilds an image extension from ZTENSION, ZBITPIX, ZNAXISn, ZPCOUNT, ZGCOUNT', () => {
    const got = view([
      ...TABLE,
      "ZTENSION= 'IMAGE   '           / Image extension",
      ...IMAGE_KEYS,
      'ZPCOUNT =                    0 / number of parameters',
      'ZGCOUNT =                    1 / number of groups',
      ...COMPRESSION,
      "EXTNAME = 'SCI     '           / extension name",
      "FILTER  = 'r       '",
      'EXPTIME =                 30.0 / seconds',
    ]);
    expect(got).toEqual([
      "XTENSION= 'IMAGE   '           / Image extension",
      'BITPIX  =                   16 / data type of original image',
      'NAXIS   =                    2 / dimension of original image',
      'NAXIS1  =                  120 / length of original image axis',
      'NAXIS2  =                  100 / length of original image axis',
      'PCOUNT  =                    0 / number of parameters',
      'GCOUNT  =                    1 / number of groups',
      "EXTNAME = 'SCI     '           / extension name",
      "FILTER  = 'r       '",
      'EXPTIME =                 30.0 / seconds',
    ]);
  });

  it('without ZTENSION/ZPCOUNT keeps the table comments, drops the default EXTNAME, moves checksums', () => {
    const got = view([
      ...TABLE,
      ...IMAGE_KEYS,
      ...COMPRESSION,
      "FILTER  = 'r       '",
      'EXPTIME =                 30.0 / seconds',
      "EXTNAME = 'COMPRESSED_IMAGE'",
      'HISTORY made by hand',
      "ZHECKSUM= 'abc' / HDU checksum",
      "ZDATASUM= '123' / data checksum",
      "CHECKSUM= 'tablesum'",
      "ZQUANTIZ= 'NO_DITHER'",
      'ZDITHER0= 1',
      'BSCALE  = 1.0',
      'COMMENT  a comment',
      "TUNIT1  = 'adu'",
    ]);
    expect(got).toEqual([
      "XTENSION= 'IMAGE   '           / binary table extension",
      'BITPIX  =                   16 / data type of original image',
      'NAXIS   =                    2 / dimension of original image',
      'NAXIS1  =                  120 / length of original image axis',
      'NAXIS2  =                  100 / length of original image axis',
      'PCOUNT  =                    0 / number of group parameters',
      'GCOUNT  =                    1 / number of groups',
      "FILTER  = 'r       '",
      'EXPTIME =                 30.0 / seconds',
      'HISTORY made by hand',
      "CHECKSUM= 'abc     '           / HDU checksum",
      // astropy reads ZDITHER0 as 'ZDITHER' + index 0, which it does not reserve.
      'ZDITHER0= 1',
      'BSCALE  = 1.0',
      "DATASUM = '123     '           / data checksum",
      'COMMENT  a comment',
    ]);
  });

  it('a compressed primary HDU (ZSIMPLE) becomes SIMPLE, with EXTEND and without PCOUNT/GCOUNT', () => {
    const got = view([
      ...TABLE,
      'ZSIMPLE = T / file does conform to FITS standard',
      ...IMAGE_KEYS,
      'ZEXTEND = T / FITS dataset may contain extensions',
      'ZPCOUNT =                    0 / number of parameters',
      'ZGCOUNT =                    1 / number of groups',
      ...COMPRESSION,
      "EXTNAME = 'SCI2    '           / extension name",
      "FILTER  = 'r       '",
    ]);
    expect(got).toEqual([
      'SIMPLE  =                    T / file does conform to FITS standard',
      'BITPIX  =                   16 / data type of original image',
      'NAXIS   =                    2 / dimension of original image',
      'NAXIS1  =                  120 / length of original image axis',
      'NAXIS2  =                  100 / length of original image axis',
      "EXTNAME = 'SCI2    '           / extension name",
      "FILTER  = 'r       '",
      'EXTEND  =                    T / FITS dataset may contain extensions',
    ]);
  });

  it('a Z card without comment leaves its image keyword without one; extra NAXISn go', () => {
    const got = view([
      ...TABLE,
      "ZTENSION= 'IMAGE   '           / Image extension",
      'ZBITPIX =                  -32 / array data type',
      'ZNAXIS  =                    1 / number of array dimensions',
      'ZNAXIS1 =                  100',
      ...COMPRESSION,
    ]);
    expect(got).toEqual([
      "XTENSION= 'IMAGE   '           / Image extension",
      'BITPIX  =                  -32 / array data type',
      'NAXIS   =                    1 / number of array dimensions',
      'NAXIS1  =                  100',
      'PCOUNT  =                    0 / number of group parameters',
      'GCOUNT  =                    1 / number of groups',
    ]);
  });
});
