// Placeholder replaced by the S3 backend (issue: archive side).
import type { Storage } from './types.js';
export class S3Storage {
  constructor(_cfg: unknown) {
    throw new Error('S3 storage is not built yet');
  }
}
export function _unused(s: Storage) {
  return s;
}
