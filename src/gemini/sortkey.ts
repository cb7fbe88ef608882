// Queue priority from a filename (DESIGN §6): queues claim `ORDER BY sortkey DESC`, so the most
// recent science data go first. The key is a class letter followed by the name's date and serial:
//   z  DHS, IGRINS and visiting-instrument science names   z + YYYYMMDD + serial (6 digits)
//   y  all-sky camera images                                y + YYYYMMDD + HHMMSS
//   x  obslogs                                              x + YYYYMMDD + program id
//   w  dated names of retired instruments                   w + YYYYMMDD + serial (6 digits)
//   a  anything else                                        a + name
// Serials are zero-padded so that a 5-digit serial sorts after a 4-digit one of the same night
// (plain text comparison would put S9999 after S10000). Processed files keep their raw file's
// date and serial, so they queue with the night they came from.

import { parseFilename, trimBz2 } from './filename.js';

export { trimBz2 };

const SERIAL_WIDTH = 6;

function pad(n: number): string {
  return String(n).padStart(SERIAL_WIDTH, '0');
}

export function sortkey(filename: string): string {
  const f = parseFilename(filename);
  if (f.date !== null) {
    switch (f.kind) {
      case 'raw':
      case 'processed':
      case 'igrins':
        return `z${f.date}${pad(f.serial ?? 0)}`;
      case 'skycam':
        return `y${f.date}${pad(f.serial ?? 0)}`;
      case 'obslog':
        return `x${f.date}${f.programId ?? ''}`;
      case 'legacy':
        return `w${f.date}${pad(f.serial ?? 0)}`;
      default:
        break;
    }
  }
  return `a${f.name}`;
}
