// Python literals as DRAGONS up to 4.0 posts them to /calmgr: `descriptors=` holds the repr of a
// dict and `types=` the repr of a set or list of tags. Only literals are read (never evaluated):
// strings, numbers, True/False/None, dicts, lists, tuples, sets, and calls — datetime.datetime(…),
// datetime.date(…), datetime.time(…) become their values, a one-argument wrapper such as
// np.float64(0.5) becomes its argument, set() an empty list. Objects printed as `<map object at
// 0x…>` (DRAGONS' dispersion_axis on some versions) read as None, as the archive does.

export type PyValue = string | number | boolean | null | Date | PyValue[] | { [key: string]: PyValue };

export class PyReprError extends Error {
  override name = 'PyReprError';
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
};

export function parsePyRepr(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new PyReprError(`${what} at character ${i} of ${JSON.stringify(text.slice(0, 60))}…`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const eat = (c: string): boolean => {
    ws();
    if (text[i] === c) {
      i++;
      return true;
    }
    return false;
  };

  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === undefined) return fail('unexpected end');
    if (c === "'" || c === '"') return str();
    if (c === '{') return braces();
    if (c === '[' || c === '(') {
      i++;
      return seq(c === '[' ? ']' : ')');
    }
    if (c === '<') {
      const end = text.indexOf('>', i);
      if (end < 0) fail('unterminated <…>');
      i = end + 1;
      return null;
    }
    if (/[-+.\d]/.test(c)) return num();
    if (/[A-Za-z_]/.test(c)) return word();
    return fail(`unexpected ${JSON.stringify(c)}`);
  };

  const str = (): string => {
    const q = text[i++];
    let out = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\') {
        const e = text[i + 1];
        if (e === 'x' || e === 'u') {
          const n = e === 'x' ? 2 : 4;
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 2 + n), 16));
          i += 2 + n;
        } else {
          out += ESCAPES[e] ?? '\\' + e;
          i += 2;
        }
      } else out += text[i++];
    }
    if (text[i] !== q) fail('unterminated string');
    i++;
    return out;
  };

  const num = (): number => {
    const m = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)/.exec(text.slice(i));
    if (!m) return fail('bad number');
    i += m[0].length;
    return Number(m[0].replace(/inf/, 'Infinity').replace(/nan/, 'NaN'));
  };

  // A list or tuple after its opening bracket, up to `close`.
  const seq = (close: string): PyValue[] => {
    const out: PyValue[] = [];
    for (;;) {
      if (eat(close)) return out;
      // Keyword arguments (tzinfo=datetime.timezone.utc): read and left out.
      const kw = /^\s*[A-Za-z_]\w*\s*=(?!=)/.exec(text.slice(i));
      if (kw) {
        i += kw[0].length;
        value();
      } else out.push(value());
      if (eat(close)) return out;
      if (!eat(',')) fail(`expected , or ${close}`);
    }
  };

  // {} is a dict, {'a', 'b'} a set (as a list).
  const braces = (): PyValue => {
    i++;
    if (eat('}')) return {};
    const first = value();
    if (eat(':')) {
      const out: Record<string, PyValue> = {};
      let key = first;
      for (;;) {
        out[String(key)] = value();
        if (eat('}')) return out;
        if (!eat(',')) fail('expected , or }');
        if (eat('}')) return out;
        key = value();
        if (!eat(':')) fail('expected :');
      }
    }
    const items = [first];
    while (eat(',')) {
      if (eat('}')) return items;
      items.push(value());
    }
    if (!eat('}')) fail('expected , or }');
    return items;
  };

  const word = (): PyValue => {
    const m = /^[A-Za-z_][\w.]*/.exec(text.slice(i))!;
    i += m[0].length;
    const name = m[0];
    if (name === 'True') return true;
    if (name === 'False') return false;
    if (name === 'None') return null;
    if (name === 'inf' || name === 'nan') return name === 'inf' ? Infinity : NaN;
    // Any other bare name (datetime.timezone.utc) stands for itself.
    if (!eat('(')) return name;
    return call(name, seq(')'));
  };

  const call = (name: string, args: PyValue[]): PyValue => {
    const n = args.map(Number);
    const base = name.replace(/^datetime\./, '');
    if (base === 'datetime' && args.length >= 3) {
      return new Date(
        Date.UTC(n[0], n[1] - 1, n[2], n[3] ?? 0, n[4] ?? 0, n[5] ?? 0, Math.floor((n[6] ?? 0) / 1000)),
      );
    }
    if (base === 'date' && args.length === 3) return new Date(Date.UTC(n[0], n[1] - 1, n[2]));
    if (base === 'time') {
      const pad = (x: number | undefined) => String(x ?? 0).padStart(2, '0');
      return `${pad(n[0])}:${pad(n[1])}:${pad(n[2])}`;
    }
    if (name === 'set' || name === 'frozenset' || name === 'list' || name === 'tuple')
      return args.length === 0 ? [] : args[0];
    if (args.length === 1) return args[0]; // np.float64(0.5), np.int64(2) …
    return args;
  };

  const out = value();
  ws();
  if (i < text.length) fail('trailing text');
  return out;
}
