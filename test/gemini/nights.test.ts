import { describe, expect, it } from 'vitest';
import {
  geminiDate,
  isYyyymmdd,
  nightOf,
  recentUtDates,
  utDate,
  utDateRange,
  utDatesRange,
  utRangeOfNight,
} from '../../src/gemini/nights.js';

const t = (iso: string) => new Date(iso);

describe('nightOf', () => {
  it('Gemini-North: the night label is the UT date (HST 14:00 = 00:00 UT)', () => {
    expect(nightOf(t('2020-01-02T23:59:59Z'), 'GN')).toBe('20200102');
    expect(nightOf(t('2020-01-03T00:00:00Z'), 'GN')).toBe('20200103');
    expect(nightOf(t('2020-01-03T15:00:00Z'), 'GN')).toBe('20200103');
  });

  it('Gemini-South: an evening exposure carries the next date', () => {
    expect(nightOf(t('2020-01-02T20:00:00Z'), 'GS')).toBe('20200103');
    expect(nightOf(t('2020-01-03T08:00:00Z'), 'GS')).toBe('20200103');
  });

  it('Gemini-South rolls over at 14:00 Chilean time: 17:00 UT in summer, 18:00 UT in winter', () => {
    // January: CLST = UTC-3
    expect(nightOf(t('2020-01-02T16:59:59Z'), 'GS')).toBe('20200102');
    expect(nightOf(t('2020-01-02T17:00:00Z'), 'GS')).toBe('20200103');
    // July: CLT = UTC-4
    expect(nightOf(t('2020-07-02T17:30:00Z'), 'GS')).toBe('20200702');
    expect(nightOf(t('2020-07-02T18:00:00Z'), 'GS')).toBe('20200703');
  });

  it('rejects an invalid date', () => {
    expect(() => nightOf(new Date('nope'), 'GN')).toThrow(RangeError);
  });
});

describe('utRangeOfNight', () => {
  it('GN nights are UT days', () => {
    expect(utRangeOfNight('20200103', 'GN')).toEqual([t('2020-01-03T00:00:00Z'), t('2020-01-04T00:00:00Z')]);
  });

  it('GS nights run from 14:00 local the day before to 14:00 local', () => {
    expect(utRangeOfNight('20200103', 'GS')).toEqual([t('2020-01-02T17:00:00Z'), t('2020-01-03T17:00:00Z')]);
    expect(utRangeOfNight('20200703', 'GS')).toEqual([t('2020-07-02T18:00:00Z'), t('2020-07-03T18:00:00Z')]);
  });

  it('a GS night spanning the change to summer time is one hour short', () => {
    // Chile moved its clocks forward on 2022-09-11 (local midnight).
    const [start, end] = utRangeOfNight('20220911', 'GS');
    expect(start).toEqual(t('2022-09-10T18:00:00Z'));
    expect(end).toEqual(t('2022-09-11T17:00:00Z'));
  });

  it('is consistent with nightOf at both ends', () => {
    for (const site of ['GN', 'GS'] as const) {
      for (const night of ['20200103', '20200703', '20220911', '20230402']) {
        const [start, end] = utRangeOfNight(night, site);
        expect(nightOf(start, site)).toBe(night);
        expect(nightOf(new Date(end.getTime() - 1), site)).toBe(night);
        expect(nightOf(end, site)).not.toBe(night);
      }
    }
  });

  it('refuses a bad date', () => {
    expect(() => utRangeOfNight('20200230', 'GN')).toThrow(RangeError);
  });
});

describe('UT date helpers', () => {
  it('utDate and utDateRange', () => {
    expect(utDate(t('2020-02-29T23:59:59.999Z'))).toBe('20200229');
    expect(utDateRange('20200229')).toEqual([t('2020-02-29T00:00:00Z'), t('2020-03-01T00:00:00Z')]);
    expect(utDatesRange('20200305', '20200301')).toEqual([
      t('2020-03-01T00:00:00Z'),
      t('2020-03-06T00:00:00Z'),
    ]);
  });

  it('recentUtDates counts today (UT) in, oldest first', () => {
    const now = t('2020-03-01T05:00:00Z');
    expect(recentUtDates(1, now)).toEqual(['20200301']);
    expect(recentUtDates(4, now)).toEqual(['20200227', '20200228', '20200229', '20200301']);
    expect(() => recentUtDates(0, now)).toThrow(RangeError);
  });

  it('geminiDate reads YYYYMMDD and the day words', () => {
    const now = t('2021-01-01T03:00:00Z');
    expect(geminiDate('today', now)).toBe('20210101');
    expect(geminiDate('yesterday', now)).toBe('20201231');
    expect(geminiDate('tomorrow', now)).toBe('20210102');
    expect(geminiDate('20200229', now)).toBe('20200229');
    expect(geminiDate('20190229', now)).toBeNull();
    expect(geminiDate('12345678', now)).toBeNull();
    expect(isYyyymmdd('20201301')).toBe(false);
  });
});
