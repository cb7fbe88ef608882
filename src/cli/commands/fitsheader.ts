import type { Command } from 'commander';
import { compressedImageCards } from '../../fits/imageview.js';
import { isTileCompressed } from '../../fits/tilecompress.js';
import type { Card, Hdu } from '../../fits/types.js';
import { EXIT } from '../context.js';
import { wholeNumber } from '../numbers.js';

// What an operator runs to check a file by hand: no config, no database.

/**
 * The cards shown for an HDU: a tile-compressed image is shown as the image header astropy
 * presents, unless the binary table itself is asked for (--raw).
 */
function shownCards(hdu: Hdu, raw: boolean): Card[] {
  return !raw && isTileCompressed(hdu.header) ? compressedImageCards(hdu.header) : hdu.header.cards;
}

function selectCards(hdu: Hdu, keywords: string[] | undefined, raw: boolean) {
  const want = keywords?.map((k) => k.toUpperCase());
  return shownCards(hdu, raw).filter((c) => !want || want.includes(c.keyword));
}

export function register(program: Command) {
  program
    .command('fitsheader')
    .description('Print every HDU header of FITS files (.fits, .fits.gz, .fits.bz2, .fits.fz)')
    .argument('<file...>')
    .option('--json', 'typed values as JSON: [{file, hdus: [{index, cards: [{keyword, value, comment}]}]}]')
    .option('--hdu <n>', 'only this HDU (0 = primary)', wholeNumber(0))
    // One value per -k (as astropy's fitsheader): `-k KEY FILE` must not read FILE as a keyword.
    .option(
      '-k, --keyword <keyword>',
      'only this keyword (repeat -k for several)',
      (v, prev: string[] = []) => [...prev, v],
    )
    .option(
      '-c, --compressed',
      'show tile-compressed images (.fz) as their binary table, not the image header',
    )
    .option('--raw', 'the same as --compressed')
    .action(async (files: string[], opts) => {
      const { readNonstandardPrimary } = await import('../../fits/reader.js');
      const { FitsReadError, readFitsFile } = await import('../../fits/reader.js');
      let code: number = EXIT.OK;
      const out: unknown[] = [];
      const raw = !!(opts.raw || opts.compressed);
      let printedFiles = 0;
      for (const file of files) {
        let hdus: Hdu[];
        let problems: { kind?: string; message: string; fatal: boolean }[];
        try {
          ({ hdus, problems } = await readFitsFile(file));
        } catch (e) {
          if (!(e instanceof FitsReadError)) {
            process.stderr.write(`fitsheader: ${file}: ${(e as Error).message}\n`);
            code = EXIT.PROBLEMS;
            continue;
          }
          ({ hdus, problems } = e.partial);
          problems.push({ message: e.message, fatal: true });
        }
        // SIMPLE = F: not standard FITS, but astropy reads the primary header (everything after
        // it is that HDU's data) and so do we, with a warning.
        if (problems.some((p) => p.fatal && p.kind === 'not-fits')) {
          const primary = await readNonstandardPrimary(file).catch(() => null);
          if (primary) {
            process.stderr.write(
              `fitsheader: ${file}: warning: SIMPLE = F (not standard FITS); the rest of the file is read as the primary HDU's data\n`,
            );
            hdus = [primary];
            problems = problems.filter((p) => p.kind !== 'not-fits');
          }
        }
        for (const p of problems.filter((p) => p.fatal)) {
          process.stderr.write(`fitsheader: ${file}: ${p.message}\n`);
          code = EXIT.PROBLEMS;
        }
        const chosen = opts.hdu !== undefined ? hdus.filter((h) => h.index === opts.hdu) : hdus;
        if (opts.hdu !== undefined && chosen.length === 0) {
          process.stderr.write(`fitsheader: ${file}: no HDU ${opts.hdu} (the file has ${hdus.length})\n`);
          code = EXIT.PROBLEMS;
        }
        if (opts.json) {
          out.push({
            file,
            hdus: chosen.map((h) => ({
              index: h.index,
              cards: selectCards(h, opts.keyword, raw).map((c) => ({
                keyword: c.keyword,
                value: c.value ?? null,
                comment: c.comment ?? null,
              })),
            })),
          });
          continue;
        }
        // astropy's layout: a blank line between HDUs, and between files unless keywords were picked.
        if (printedFiles++ > 0 && !opts.keyword) process.stdout.write('\n');
        for (const [i, h] of chosen.entries()) {
          if (i > 0) process.stdout.write('\n');
          process.stdout.write(`# HDU ${h.index} in ${file}:\n`);
          for (const c of selectCards(h, opts.keyword, raw))
            // A long string's CONTINUE images stay on one line, as astropy prints the card.
            process.stdout.write(c.raw + '\n');
        }
      }
      if (opts.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      process.exitCode = code;
    });

  program
    .command('fitsverify')
    .description('Check the structure and mandatory keywords of FITS files; exit 1 when a file has errors')
    .argument('<file...>')
    .option('-q, --quiet', 'print only files with problems')
    .action(async (files: string[], opts) => {
      const { verifyFits } = await import('../../fits/verify.js');
      let bad = 0;
      for (const file of files) {
        let r;
        try {
          r = await verifyFits(file);
        } catch (e) {
          process.stdout.write(`${file}: ERROR: ${(e as Error).message}\n`);
          bad++;
          continue;
        }
        if (!r.ok) bad++;
        if (opts.quiet && r.problems.length === 0) continue;
        process.stdout.write(
          `${file}: ${r.hdus.length} HDU(s), ${r.totalBytes} bytes: ${r.ok ? 'OK' : 'ERRORS'} (${r.errors} error(s), ${r.warnings} warning(s))\n`,
        );
        for (const p of r.problems) {
          process.stdout.write(`  ${p.severity === 'warning' ? 'warning' : 'error'}: ${p.message}\n`);
        }
      }
      if (files.length > 1) process.stdout.write(`${files.length - bad} of ${files.length} files OK\n`);
      process.exitCode = bad ? EXIT.PROBLEMS : EXIT.OK;
    });
}
