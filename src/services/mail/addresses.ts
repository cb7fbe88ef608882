// Reading the e-mail fields of the notification table the way a person would. They come from the
// ODB as people typed them: several addresses separated by commas, semicolons, spaces, slashes or
// "and"; names with or without angle brackets ("Smith, Jane <js@x.org>", "Jane Smith js@x.org");
// quoted names; "mailto:"; stray whitespace, line breaks and trailing full stops. FitsStorage split
// on commas and spaces and mailed whatever came out; the runbook asks for smarter reading instead
// of hand-fixing the rows (the next ODB load resets them).
//
// Every well-formed address is kept; every piece that is neither an address nor part of a name is
// reported, so one typo costs one recipient, not the whole mail.

export interface Address {
  address: string;
  name?: string;
}

export interface ParsedAddresses {
  addresses: Address[];
  /** Pieces that are not usable addresses, as written. */
  invalid: string[];
}

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'quoted'; text: string }
  | { kind: 'angle'; text: string }
  | { kind: 'sep'; text: string };

// Whitespace of every kind, including no-break and zero-width spaces pasted from documents.
const SPACE = /[\s\u00a0\u200b-\u200d\u2060\ufeff]/;
const CONNECTORS = new Set(['and', 'or', '&', '/', '|', '+', 'y', 'et', 'und']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (SPACE.test(c)) {
      i++;
    } else if (c === ',' || c === ';' || c === '\n') {
      tokens.push({ kind: 'sep', text: c });
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      const stop = end < 0 ? text.length : end;
      tokens.push({ kind: 'quoted', text: text.slice(i + 1, stop) });
      i = stop + 1;
    } else if (c === '<') {
      const end = text.indexOf('>', i + 1);
      const stop = end < 0 ? text.length : end;
      tokens.push({ kind: 'angle', text: text.slice(i + 1, stop) });
      i = stop + 1;
    } else {
      let j = i;
      while (j < text.length && !SPACE.test(text[j]) && !',;\n"<'.includes(text[j])) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

// local@domain.tld: the characters people actually use (RFC 5322's dot-atom), a dotted domain.
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The address in a piece of text, cleaned of what people wrap around it; null if malformed. */
function cleanAddress(raw: string): string | null {
  let s = raw.trim().replace(/^mailto:/i, '');
  // Brackets, quotes and punctuation around an address are not part of it.
  s = s.replace(/^[(\[{'`]+/, '').replace(/[)\]}'`.,:;!?]+$/, '');
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return null;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).toLowerCase();
  if (local.length > 64 || !LOCAL.test(local)) return null;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  if (!/^[a-z]{2,}$/.test(labels[labels.length - 1])) return null;
  return `${local}@${domain}`;
}

/** Words a person reads as (part of) a name: letters, hyphens, apostrophes, initials. */
function isNameWord(w: string): boolean {
  return /^(\p{L}\.)+$/u.test(w) || /^\p{L}[\p{L}'’-]*\.?$/u.test(w) || /^\(.*\)$|^".*"$/.test(w);
}

/** Parses one address field; see the module comment. */
export function parseAddresses(field: string | null | undefined): ParsedAddresses {
  const out: ParsedAddresses = { addresses: [], invalid: [] };
  if (!field) return out;
  const seen = new Set<string>();
  // Words read so far that may be the display name of the next address.
  let name: string[] = [];
  const flushJunk = () => {
    if (name.length) out.invalid.push(name.join(' '));
    name = [];
  };
  const add = (raw: string) => {
    const address = cleanAddress(raw);
    if (!address) {
      out.invalid.push([...name, raw.trim()].join(' ').trim());
      name = [];
      return;
    }
    const key = address.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      const display = name
        .map((w) => w.replace(/^"(.*)"$/, '$1'))
        .join(' ')
        .replace(/\s*,\s*$/, '')
        .trim();
      out.addresses.push(display ? { address, name: display } : { address });
    }
    name = [];
  };

  for (const t of tokenize(field)) {
    if (t.kind === 'angle') add(t.text);
    else if (t.kind === 'quoted') {
      if (t.text.includes('@') && cleanAddress(t.text)) add(t.text);
      else name.push(`"${t.text.trim()}"`);
    } else if (t.kind === 'sep') {
      // "Smith, Jane <js@x.org>": a comma inside a name that an address follows.
      if (name.length && t.text === ',' && name.every((w) => w === ',' || isNameWord(w))) name.push(',');
      else flushJunk();
    } else if (t.text.includes('@')) {
      add(t.text);
    } else if (CONNECTORS.has(t.text.toLowerCase()) && name.length === 0) {
      // "a@x.org and b@y.org", "a@x.org / b@y.org"
    } else if (isNameWord(t.text)) {
      name.push(t.text);
    } else {
      // Neither a name nor an address ("bob.smith", "x.org"): report it with the words before it.
      name.push(t.text);
      flushJunk();
    }
  }
  // Words left over with no address after them: a name without an address, or a broken address.
  if (name.length) out.invalid.push(name.filter((w) => w !== ',').join(' '));
  // Tidy "Smith , Jane" into "Smith, Jane".
  for (const a of out.addresses) if (a.name) a.name = a.name.replace(/ ,/g, ',');
  return out;
}

/** All addresses of several fields (To, Cc ...), each address once, first field first. */
export function mergeAddresses(...lists: Address[][]): Address[] {
  const seen = new Set<string>();
  const out: Address[] = [];
  for (const list of lists) {
    for (const a of list) {
      const key = a.address.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(a);
    }
  }
  return out;
}
