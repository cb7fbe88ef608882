import type { ReadResult } from './reader.js';

// Whether the bytes read so far are a whole FITS file, judged from its structure alone: every
// header ends with END, every data part has the length its header implies, and the file ends
// exactly at the last HDU's padded end. A DHS writer pausing between HDUs leaves bytes that pass
// all three; only NEXTEND (when the writer puts it in) says more HDUs are due. Timing is the
// caller's business (services/summit/dhscomplete.ts).

export interface Structure {
  /** Structurally whole, and not short of the extensions NEXTEND announces. */
  whole: boolean;
  /** Why not, when not. */
  reason?: string;
  /** NEXTEND of the primary header, when it is there. */
  nextend?: number;
  extensions: number;
  /** Where the last HDU's padded data ends, in the (decompressed) stream. */
  end: number;
  /** Bytes in the (decompressed) stream. */
  size: number;
}

export function structureOf(r: ReadResult): Structure {
  const last = r.hdus[r.hdus.length - 1];
  const end = last ? last.dataOffset + last.paddedDataSize : 0;
  const extensions = Math.max(0, r.hdus.length - 1);
  const ne = r.hdus[0]?.header.get('NEXTEND');
  const nextend = typeof ne === 'number' && Number.isInteger(ne) && ne >= 0 ? ne : undefined;
  const base = { nextend, extensions, end, size: r.totalBytes };
  // Short padding of the last block is readable (not fatal for the reader) but is not the end a
  // finished writer leaves, so it counts here.
  const broken = r.problems.filter((p) => p.fatal || p.kind === 'truncated-data');
  if (broken.length) return { ...base, whole: false, reason: broken.map((p) => p.message).join('; ') };
  if (!last) return { ...base, whole: false, reason: 'no HDU' };
  if (end !== r.totalBytes) {
    return {
      ...base,
      whole: false,
      reason: `the last HDU ends at byte ${end} but the file has ${r.totalBytes} bytes`,
    };
  }
  if (nextend !== undefined && extensions < nextend) {
    return { ...base, whole: false, reason: `NEXTEND = ${nextend} but ${extensions} extensions present` };
  }
  return { ...base, whole: true };
}
