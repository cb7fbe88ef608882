// Notifications: who hears about new data for which selection. Rows are kept by hand (the CLI and
// the staff page) or loaded from the observatory database's program export (the ODB's
// /odbbrowser/programs XML), as FitsStorage's get_notifications_from_odb did: one row per program,
// labelled `Auto - <progid>`, selection `<progid>/science`, e-mail fields updated in place on
// every load, and the row deleted when the program says notifyPi No.
//
// The e-mail fields are stored as the ODB gives them (several addresses, odd separators and all):
// they would be reset on the next load anyway, so addresses.ts reads them as a person would when
// mail is sent, instead of anyone "fixing" them here.

import type { Queryable } from '../../db/pool.js';
import {
  isCalibrationProgram,
  isEngineering,
  isScienceVerification,
  isValidProgramId,
} from '../../gemini/progid.js';
import { parseSelection, unrecognisedMessage } from '../../gemini/selection/index.js';
import {
  deleteNotification,
  insertNotification,
  notificationByLabel,
  updateNotification,
  type NotificationFields,
} from './notificationsql.js';

export * from './notificationsql.js';

/** The archive's warning when a selection has terms it does not understand, else null. */
export function selectionProblem(selection: string): string | null {
  if (!selection.trim()) return 'the selection is empty';
  return unrecognisedMessage(parseSelection(selection));
}

// ODB program XML ---------------------------------------------------------------------------

/** What the import needs from one <program> of the ODB export. */
export interface OdbProgram {
  reference: string;
  piEmail: string;
  ngoEmail: string;
  contactEmail: string;
  /** 'Yes' or 'No' as written; absent means No. */
  notifyPi: string;
  /** The program had an <investigators> element with no investigator in it. */
  noInvestigators: boolean;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlText(s: string): string {
  return (
    s
      // CDATA is literal text: escape it so the tag stripping and entity decoding below keep it.
      .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_m, t: string) =>
        t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
      )
      .replace(/<[^>]*>/g, '')
      .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
        if (e[0] === '#') {
          const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
          return Number.isFinite(code) ? String.fromCodePoint(code) : m;
        }
        return ENTITIES[e] ?? m;
      })
      .trim()
  );
}

/** Text of the first <tag>…</tag> in `xml` (self-closing or absent → undefined). */
function element(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}\\s*>`).exec(xml);
  return m ? m[1] : undefined;
}

function elements(xml: string, tag: string): Array<{ attrs: string; body: string }> {
  const re = new RegExp(`<${tag}(\\s[^>]*)?>([\\s\\S]*?)</${tag}\\s*>`, 'g');
  return [...xml.matchAll(re)].map((m) => ({ attrs: m[1] ?? '', body: m[2] }));
}

/** Sometimes people separate addresses with ';' in the ODB: read them as ','. */
function emailField(s: string | undefined): string {
  return s === undefined ? '' : xmlText(s).replace(/;/g, ',');
}

/**
 * The programs of an ODB program export. A small reader for this one document shape (no XML
 * dependency): <program> elements, each with <reference>, <investigators> (the one with
 * pi="true" gives the PI's <email>), <ngoEmail>, <contactScientistEmail> and <notifyPi>.
 * Observation and log sections are skipped, so their nested elements cannot be mistaken for the
 * program's own.
 */
export function parseOdbPrograms(xml: string): OdbProgram[] {
  const text = xml.replace(/<!--[\s\S]*?-->/g, '');
  return elements(text, 'program').map(({ body }) => {
    const own = body.replace(/<observations(?:\s[^>]*)?>[\s\S]*?<\/observations\s*>/g, '');
    const invSection = element(own, 'investigators');
    const investigators = invSection === undefined ? [] : elements(invSection, 'investigator');
    const pi = investigators.find((i) => /\bpi\s*=\s*["']true["']/i.test(i.attrs));
    return {
      reference: xmlText(element(own, 'reference') ?? ''),
      piEmail: emailField(pi && element(pi.body, 'email')),
      ngoEmail: emailField(element(own, 'ngoEmail')),
      contactEmail: emailField(element(own, 'contactScientistEmail')),
      notifyPi: xmlText(element(own, 'notifyPi') ?? 'No'),
      noInvestigators: investigators.length === 0,
    };
  });
}

export interface ImportReport {
  programs: number;
  added: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
  /** Lines for the log, in FitsStorage's words where it had them. */
  lines: string[];
  errors: string[];
}

/** `null` in the table for an empty field, so an empty CS address reads as "none". */
const orNull = (s: string) => (s.trim() === '' ? null : s);

/** Applies an ODB export to the notification table (see the module comment). */
export async function importOdbXml(
  db: Queryable,
  xml: string,
  opts: { dryrun?: boolean } = {},
): Promise<ImportReport> {
  const report: ImportReport = {
    programs: 0,
    added: [],
    updated: [],
    deleted: [],
    unchanged: [],
    lines: [],
    errors: [],
  };
  const say = (line: string) => report.lines.push(line);
  for (const p of parseOdbPrograms(xml)) {
    report.programs++;
    const progid = p.reference;
    if (!progid) {
      report.errors.push('a program has no <reference>');
      say('ERROR: Failed to process program node');
      continue;
    }
    // Engineering, SV and calibration programs may have no investigators; others are skipped.
    if (
      p.noInvestigators &&
      !isEngineering(progid) &&
      !isScienceVerification(progid) &&
      !isCalibrationProgram(progid)
    ) {
      say(`There are no investigators listed for ${progid}`);
      continue;
    }
    const label = `Auto - ${progid}`;
    const fields = {
      piemail: orNull(p.piEmail),
      ngoemail: orNull(p.ngoEmail),
      csemail: orNull(p.contactEmail),
    };
    const existing = await notificationByLabel(db, label);
    if (!existing) {
      if (p.notifyPi === 'Yes' && isValidProgramId(progid)) {
        const row: NotificationFields = { label, selection: `${progid}/science`, internal: false, ...fields };
        if (!opts.dryrun) await insertNotification(db, row);
        report.added.push(label);
        say(`Adding notification ${label}`);
      } else {
        if (!isValidProgramId(progid)) say(`Did not add ${label} as ${progid} is not a valid program ID`);
        if (p.notifyPi !== 'Yes') say(`Did not add ${label} as notifyPi is No`);
      }
      continue;
    }
    if (p.notifyPi === 'No') {
      if (!opts.dryrun) await deleteNotification(db, existing.id);
      report.deleted.push(label);
      say(`Deleting ${label}: notifyPi set to No`);
      continue;
    }
    const changes: Partial<NotificationFields> = {};
    for (const k of ['piemail', 'ngoemail', 'csemail'] as const) {
      if ((existing[k] ?? null) !== fields[k]) {
        changes[k] = fields[k];
        say(`Updating ${k} for ${label}`);
      }
    }
    if (Object.keys(changes).length === 0) {
      report.unchanged.push(label);
      continue;
    }
    if (!opts.dryrun) await updateNotification(db, existing.id, changes);
    report.updated.push(label);
  }
  say(`Processed ${report.programs} programs`);
  return report;
}
