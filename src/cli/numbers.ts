import { InvalidArgumentError } from 'commander';

// Argument parsers for numeric options: commander calls them, and an InvalidArgumentError becomes
// "error: option '--limit <n>' argument '-1' is invalid. <why>" and exit status 2 (main.ts), before
// any database or file is touched. parseInt('12abc') would have been 12; these refuse it.

const WHOLE = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A whole number in [min, max]. */
export function wholeNumber(min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!WHOLE.test(v.trim()) || !Number.isSafeInteger(n))
      throw new InvalidArgumentError('expected a whole number.');
    if (n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected a whole number of at least ${min}.`
          : `expected a whole number from ${min} to ${max}.`,
      );
    return n;
  };
}

/** A number (decimals allowed) above `min` (or at least min when `inclusive`). */
export function decimalNumber(min = 0, inclusive = true): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!DECIMAL.test(v.trim()) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
    if (inclusive ? n < min : n <= min)
      throw new InvalidArgumentError(
        `expected a number ${inclusive ? 'of at least' : 'greater than'} ${min}.`,
      );
    return n;
  };
}
