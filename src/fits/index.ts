// The public API of the FITS reader and writer. Other layers import from here.

export type { Card, CardValue, FitsProblem, Hdu, Header } from './types.js';
export { parseCard, parseCards, parseValueField, type CardIssue, type ParsedCard } from './cards.js';
export {
  BLOCK_SIZE,
  FitsHeader,
  HeaderAssembler,
  makeHeader,
  parseHeader,
  type HeaderIssue,
} from './header.js';
export { dataLayout, hduLabel, padded, type DataLayout } from './layout.js';
export { compressionOf, openFitsStream, type Compression, type OpenOptions } from './streams.js';
export {
  bzip2Binary,
  compressStream,
  compressSync,
  decompressBuffer,
  decompressStream,
  findOnPath,
  type Bzip2Options,
  type Bzip2Tool,
} from './bzip2.js';
export { FitsReadError, readFits, readFitsFile, type ReadOptions, type ReadResult } from './reader.js';
export {
  decodeImage,
  decodeOwned,
  decodePixels,
  imageScaling,
  imageShape,
  shapeOf,
  type DecodedImage,
  type DecodeOptions,
  type ImageShape,
  type Scaling,
} from './image.js';
export {
  hasPicture,
  isImageHdu,
  readImages,
  type ImageResult,
  type ReadImagesOptions,
} from './readimages.js';
export { compressedImageShape, decodeTileCompressed, isTileCompressed } from './tilecompress.js';
export { riceDecode } from './rice.js';
export { BinTable, columnsOf, parseTform, type Column } from './bintable.js';
export { verifyFits, type VerifyResult } from './verify.js';
export {
  bigEndianBytes,
  bitpixOf,
  buildFits,
  card,
  formatCard,
  formatReal,
  formatValue,
  headerBlocks,
  imageHdu,
  type CardInput,
  type HduInput,
  type ImageHduOptions,
  type PixelArray,
  type WritableValue,
} from './write.js';
