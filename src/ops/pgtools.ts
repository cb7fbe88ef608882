import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';

// Finding and running PostgreSQL's client programs. pg_dump refuses a server newer than itself and
// the machine may have several versions (Debian: /usr/lib/postgresql/<major>/bin; the embedded
// server is 18 while the system's may be 15), so the version is chosen, never assumed.

export interface PgTool {
  path: string;
  major: number;
  version: string;
}

export class PgToolError extends Error {
  override name = 'PgToolError';
}

function toolVersion(file: string): PgTool | null {
  const r = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = r.status === 0 ? /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?\S*/.exec(r.stdout) : null;
  return m ? { path: file, major: Number(m[1]), version: m[0].replace(/^\(PostgreSQL\)\s+/, '') } : null;
}

function candidates(tool: string, binDir?: string, envPath = process.env.PATH ?? ''): string[] {
  const dirs: string[] = [];
  if (binDir) dirs.push(binDir);
  const lib = '/usr/lib/postgresql';
  if (existsSync(lib)) for (const v of readdirSync(lib)) dirs.push(path.join(lib, v, 'bin'));
  dirs.push(...envPath.split(path.delimiter).filter(Boolean));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const d of dirs) {
    const f = path.join(d, tool);
    if (!existsSync(f)) continue;
    const real = (() => {
      try {
        return realpathSync(f);
      } catch {
        return f;
      }
    })();
    // /bin → /usr/bin (merged /usr) and Debian's pg_wrapper links: one entry per real program.
    const id = `${real}|${path.basename(f)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(f);
  }
  return out;
}

/**
 * The tool to use against a server of this major version: the same major if present, else the
 * oldest newer one (a newer pg_dump dumps older servers; a newer pg_restore reads older dumps).
 * With binDir given, only that directory counts.
 */
export function findPgTool(tool: 'pg_dump' | 'pg_restore', serverMajor: number, binDir?: string): PgTool {
  const list = (binDir ? [path.join(binDir, tool)].filter(existsSync) : candidates(tool))
    .map(toolVersion)
    .filter((t): t is PgTool => t !== null);
  const exact = list.find((t) => t.major === serverMajor);
  if (exact) return exact;
  const newer = list.filter((t) => t.major > serverMajor).sort((a, b) => a.major - b.major)[0];
  if (newer) return newer;
  const found = list.length ? list.map((t) => `${t.major} (${t.path})`).join(', ') : 'none';
  throw new PgToolError(
    `the PostgreSQL server is version ${serverMajor}, but no ${tool} of version ${serverMajor} or newer was found ` +
      `(found: ${found}). Install postgresql-client-${serverMajor} (Debian: apt-get install postgresql-client-${serverMajor}, from apt.postgresql.org) ` +
      `or pass --pg-bindir with the directory of a matching ${tool}` +
      (serverMajor >= 17
        ? '; the embedded PostgreSQL ships no pg_dump, so its backups need a client of the same version'
        : ''),
  );
}

/** libpq environment for a postgres:// URL, so the password never shows in `ps`. */
export function pgEnv(url: string): { env: NodeJS.ProcessEnv; database: string } {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  const host = u.searchParams.get('host') ?? decodeURIComponent(u.hostname);
  if (host) env.PGHOST = host;
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const ssl = u.searchParams.get('sslmode');
  if (ssl) env.PGSSLMODE = ssl;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || env.PGUSER || 'postgres';
  env.PGDATABASE = database;
  return { env, database };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/** Waits for a child; rejects with its stderr (last lines) when it exits non-zero. */
export function waitFor(child: ChildProcess, what: string): Promise<void> {
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`${what}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${what} failed (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-5).join(' | ') || 'no message'}`,
          ),
        );
    });
  });
}

export function run(
  tool: PgTool,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdio: ('ignore' | 'pipe' | 'inherit')[] = ['ignore', 'pipe', 'pipe'],
): ChildProcess {
  return spawn(tool.path, args, { env, stdio });
}
