// Validation of names that arrive in URLs and become paths on disk or keys in the store.
// Allow-listed characters only: no traversal ('..', absolute paths, backslashes, NUL), no dot
// files (the staging directory's temporary names start with a dot), no empty segments.

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$/;

export class BadNameError extends Error {
  override name = 'BadNameError';
}

function isSafeSegment(s: string): boolean {
  return SEGMENT.test(s) && s !== '.' && s !== '..';
}

/** A single file name (/file/<name>). */
export function checkFileName(name: string): string {
  if (!isSafeSegment(name)) throw new BadNameError(`bad file name: ${JSON.stringify(name)}`);
  return name;
}
