// The Gemini archive's URL selection grammar: parse, turn into SQL, describe.
//
//   const sel = parseSelection('/GN-2019A-FT-211/science/20200101');
//   const { where, values } = selectionToSql(sel);           // over file f, diskfile df, header h
//   selectionToString(sel);                                   // 'GN-2019A-FT-211/20200101/science'
//   unrecognisedMessage(sel);                                 // null, or the archive's warning
//
// Nothing here touches the database; src/services/archive/search.ts runs the query.

export type { ProcessingMode, QaTerm, Selection, SpectroscopyMode, Telescope } from './types.js';
export { emptySelection } from './types.js';
export { parseSelection, splitTerms, fitsFilename, dateRange, type ParseOptions } from './parse.js';
export {
  selectionToSql,
  excludesEngineeringByDefault,
  escapeLike,
  nightBounds,
  nightRangeBounds,
  dateBounds,
  metadataVisible,
  qualified,
  unqualified,
  SqlParams,
  WITHHELD_COLUMNS,
  type ColumnNamer,
  type SqlOptions,
  type CoordsScope,
  type SqlFragment,
} from './sql.js';
export { isOpenQuery, selectionToString, unrecognisedMessage } from './format.js';
export {
  positionConstraint,
  raToDegrees,
  decToDegrees,
  searchRadiusDegrees,
  DEFAULT_SEARCH_RADIUS_DEG,
  type PositionConstraint,
} from './values.js';
export { instrumentName, telescopeName } from './vocabulary.js';
