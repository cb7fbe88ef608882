// Just enough of binary tables (FITS 4.0 §7.3) to read tile-compressed images: column layout
// from TFORMn, scalar cells, and variable-length array descriptors (P and Q) into the heap.

import type { Header } from './types.js';

export interface Column {
  /** 1-based column number. */
  number: number;
  name: string;
  /** Data type letter: L X B I J K A E D C M P Q. */
  type: string;
  /** For P/Q columns: the element type of the arrays in the heap. */
  elementType?: string;
  repeat: number;
  /** Byte offset of the column within a row. */
  offset: number;
  /** Bytes the column takes in a row. */
  width: number;
}

const TYPE_BYTES: Record<string, number> = {
  L: 1,
  B: 1,
  I: 2,
  J: 4,
  K: 8,
  A: 1,
  E: 4,
  D: 8,
  C: 8,
  M: 16,
  P: 8,
  Q: 16,
};
const TFORM = /^\s*(\d*)([LXBIJKAEDCMPQ])([LXBIJKAEDCM])?(?:\((\d+)\))?/;

/** Bytes per element of a binary-table data type letter. */
function typeBytes(type: string): number {
  return TYPE_BYTES[type] ?? 0;
}

/** Parses a TFORMn value like "1J", "16A", "1PB(1234)", "1QE". */
export function parseTform(
  tform: string,
): { repeat: number; type: string; elementType?: string; width: number } | null {
  const m = TFORM.exec(tform.toUpperCase());
  if (!m) return null;
  const repeat = m[1] === '' ? 1 : Number(m[1]);
  const type = m[2];
  const width = type === 'X' ? Math.ceil(repeat / 8) : repeat * TYPE_BYTES[type];
  if ((type === 'P' || type === 'Q') && !m[3]) return null;
  return m[3] ? { repeat, type, elementType: m[3], width } : { repeat, type, width };
}

/** Column layout of a BINTABLE header; throws when TFIELDS/TFORMn are unusable. */
export function columnsOf(header: Header): Column[] {
  const tfields = header.get('TFIELDS');
  if (typeof tfields !== 'number' || !Number.isInteger(tfields) || tfields < 0)
    throw new Error('TFIELDS missing or invalid');
  const cols: Column[] = [];
  let offset = 0;
  for (let n = 1; n <= tfields; n++) {
    const tform = header.get(`TFORM${n}`);
    const parsed = typeof tform === 'string' ? parseTform(tform) : null;
    if (!parsed) throw new Error(`TFORM${n} missing or invalid (${JSON.stringify(tform ?? null)})`);
    const name = header.get(`TTYPE${n}`);
    cols.push({
      number: n,
      name: typeof name === 'string' ? name.trim().toUpperCase() : '',
      offset,
      ...parsed,
    });
    offset += parsed.width;
  }
  return cols;
}

/** Sum of column widths: must equal NAXIS1. */
export function rowWidth(cols: Column[]): number {
  return cols.reduce((a, c) => a + c.width, 0);
}

export class BinTable {
  readonly columns: Column[];
  readonly rowBytes: number;
  readonly rows: number;
  /** Byte offset of the heap from the start of the data unit. */
  readonly heapStart: number;

  constructor(
    readonly header: Header,
    readonly data: Uint8Array,
  ) {
    this.columns = columnsOf(header);
    this.rowBytes = Number(header.get('NAXIS1'));
    this.rows = Number(header.get('NAXIS2'));
    const theap = header.get('THEAP');
    this.heapStart = typeof theap === 'number' ? theap : this.rowBytes * this.rows;
  }

  private view(): DataView {
    return new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  column(name: string): Column | undefined {
    return this.columns.find((c) => c.name === name.toUpperCase());
  }

  /** First element of a numeric scalar cell (row 0-based). */
  scalar(col: Column, row: number): number {
    const dv = this.view();
    const at = row * this.rowBytes + col.offset;
    switch (col.type) {
      case 'B':
        return dv.getUint8(at);
      case 'I':
        return dv.getInt16(at);
      case 'J':
        return dv.getInt32(at);
      case 'K':
        return Number(dv.getBigInt64(at));
      case 'E':
        return dv.getFloat32(at);
      case 'D':
        return dv.getFloat64(at);
      default:
        throw new Error(`column ${col.name}: cannot read type ${col.type} as a number`);
    }
  }

  /** The heap bytes of a P/Q cell (row 0-based), as a view (no copy). */
  heapBytes(col: Column, row: number): Uint8Array {
    const dv = this.view();
    const at = row * this.rowBytes + col.offset;
    const count = col.type === 'P' ? dv.getUint32(at) : Number(dv.getBigUint64(at));
    const offset = col.type === 'P' ? dv.getUint32(at + 4) : Number(dv.getBigUint64(at + 8));
    const bytes = count * typeBytes(col.elementType ?? 'B');
    const start = this.heapStart + offset;
    if (start + bytes > this.data.length) {
      throw new Error(`column ${col.name} row ${row + 1}: heap array runs past the data unit`);
    }
    return this.data.subarray(start, start + bytes);
  }
}
