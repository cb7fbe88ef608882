import { describe, expect, it } from 'vitest';
import { parseAddresses } from '../../../src/services/mail/addresses.js';

// Address fields as the ODB delivers them, read as a person would read them.

const addrs = (field: string) => parseAddresses(field).addresses.map((a) => a.address);

describe('parseAddresses', () => {
  it.each([
    ['pi@uni.example', ['pi@uni.example']],
    ['  a@b.example,c@d.example  ', ['a@b.example', 'c@d.example']],
    ['a@b.example c@d.example', ['a@b.example', 'c@d.example']],
    ['a@b.example;\n c@d.example\n', ['a@b.example', 'c@d.example']],
    ['a@b.example and c@d.example', ['a@b.example', 'c@d.example']],
    ['a@b.example / c@d.example', ['a@b.example', 'c@d.example']],
    ['mailto:a@b.example.', ['a@b.example']],
    ['(a@b.example)', ['a@b.example']],
    ['a@B.EXAMPLE, A@b.example', ['a@b.example']],
    ['a@b.example\u00a0\u200b, c@d.example', ['a@b.example', 'c@d.example']],
  ])('%j → %j', (field, expected) => {
    expect(parseAddresses(field)).toEqual({
      addresses: expected.map((address) => ({ address })),
      invalid: [],
    });
  });

  it('keeps names, with or without angle brackets, commas inside names included', () => {
    expect(parseAddresses('Jane Smith <js@x.example>').addresses).toEqual([
      { address: 'js@x.example', name: 'Jane Smith' },
    ]);
    expect(parseAddresses('Smith, Jane <js@x.example>').addresses).toEqual([
      { address: 'js@x.example', name: 'Smith, Jane' },
    ]);
    expect(parseAddresses('"Smith, Jane" <js@x.example>, b@y.example').addresses).toEqual([
      { address: 'js@x.example', name: 'Smith, Jane' },
      { address: 'b@y.example' },
    ]);
    expect(parseAddresses('Dr. J. R. Smith js@x.example').addresses).toEqual([
      { address: 'js@x.example', name: 'Dr. J. R. Smith' },
    ]);
  });

  it('reports what is not an address and keeps the rest', () => {
    expect(parseAddresses('john.smith, a@b.example')).toEqual({
      addresses: [{ address: 'a@b.example' }],
      invalid: ['john.smith'],
    });
    expect(parseAddresses('a@b, c@d.example')).toEqual({
      addresses: [{ address: 'c@d.example' }],
      invalid: ['a@b'],
    });
    expect(parseAddresses('a@@b.example')).toEqual({ addresses: [], invalid: ['a@@b.example'] });
    expect(parseAddresses('a@b.example, Bob')).toEqual({
      addresses: [{ address: 'a@b.example' }],
      invalid: ['Bob'],
    });
    expect(addrs('x@y.example, <broken@>, z@w.example')).toEqual(['x@y.example', 'z@w.example']);
  });

  it('an empty or missing field has no addresses and nothing to report', () => {
    expect(parseAddresses(null)).toEqual({ addresses: [], invalid: [] });
    expect(parseAddresses('  ')).toEqual({ addresses: [], invalid: [] });
  });
});
