import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliResult } from '../../helpers/cli.js';

// Runs one of this command modules as a real `fitsstore` process (from the TypeScript
// sources), whether or not src/cli/commands/index.ts registers it yet.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = path.join(ROOT, 'test/services/mail/cli-entry.ts');

export function runCommandModule(
  module: string,
  args: string[],
  opts: { config?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    if (opts.config) env.FITSSTORE_CONFIG = opts.config;
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, module, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
