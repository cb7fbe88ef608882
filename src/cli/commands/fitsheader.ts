import type { Command } from 'commander';
import type { Hdu } from '../../fits/types.js';
import { EXIT } from '../context.js';

// What an operator runs to check a file by hand: no config, no database.

function selectCards(hdu: Hdu, keywords: string[] | undefined) {
  const want = keywords?.map((k) => k.toUpperCase());
  return hdu.header.cards.filter((c) => !want || want.includes(c.keyword));
}

export function register(program: Command) {
  program
    .command('fitsheader')
    .description('Print every HDU header of FITS files (.fits, .fits.gz, .fits.bz2)')
    .argument('<file...>')
    .option('--json', 'typed values as JSON: [{file, hdus: [{index, cards: [{keyword, value, comment}]}]}]')
    .option('--hdu <n>', 'only this HDU (0 = primary)', (v) => parseInt(v, 10))
    .option('-k, --keyword <keyword...>', 'only these keywords')
    .action(async (files: string[], opts) => {
      const { FitsReadError, readFitsFile } = await import('../../fits/reader.js');
      let code: number = EXIT.OK;
      const out: unknown[] = [];
      for (const file of files) {
        let hdus: Hdu[];
        let problems: { message: string; fatal: boolean }[];
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
              cards: selectCards(h, opts.keyword).map((c) => ({
                keyword: c.keyword,
                value: c.value ?? null,
                comment: c.comment ?? null,
              })),
            })),
          });
          continue;
        }
        for (const h of chosen) {
          process.stdout.write(`# HDU ${h.index} in ${file}:\n`);
          for (const c of selectCards(h, opts.keyword))
            process.stdout.write(c.raw.replace(/(.{80})(?=.)/g, '$1\n') + '\n');
          process.stdout.write('\n');
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
