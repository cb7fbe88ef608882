import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { commonOptions, runCommand, UsageError } from '../context.js';

// Loads the archive's list of photometric standard stars; ingest then flags files that have
// one in their field (header.phot_standard). Files ingested earlier are flagged when re-ingested.

export function register(program: Command) {
  const group = program.command('photstandards').description('Photometric standard stars known to ingest');
  const load = group
    .command('load')
    .description(
      'Add or update standards from a CSV file: name,field,RA (hours),Dec (degrees)[,magnitudes...]',
    )
    .argument('<file>');
  commonOptions(load).action(async (file: string, opts) => {
    await runCommand('photstandards load', opts, async (ctx) => {
      const { loadPhotStandards, parsePhotStandards } =
        await import('../../services/ingest/photstandards.js');
      let stars;
      try {
        stars = parsePhotStandards(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new UsageError(`${file}: ${(e as Error).message}`);
      }
      const database = await ctx.database();
      const n = await loadPhotStandards(database.db, stars);
      process.stdout.write(`loaded ${n} photometric standards from ${file}\n`);
    });
  });
}
