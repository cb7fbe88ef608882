import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  logDir: string;
  command: string;
  /** --name: the log file becomes <command>-<name>.log */
  name?: string;
  /** --logsuffix wins over name for the file. */
  logsuffix?: string;
  debug?: boolean;
  /** --demon: no output on stderr, the log file only. */
  demon?: boolean;
  /** No file at all (tests, one-shot commands that only print). */
  fileless?: boolean;
}

function logFileName(o: Pick<LogOptions, 'logDir' | 'command' | 'name' | 'logsuffix'>): string {
  const suffix = o.logsuffix ?? o.name;
  return path.join(o.logDir, `${o.command}${suffix ? '-' + suffix : ''}.log`);
}

const openDestinations: ReturnType<typeof pino.destination>[] = [];

/** JSON lines to the log file; a readable line on stderr unless --demon. */
export function createLogger(o: LogOptions): Logger {
  const level = o.debug ? 'debug' : 'info';
  const streams: pino.StreamEntry[] = [];
  if (!o.fileless) {
    mkdirSync(o.logDir, { recursive: true });
    // Synchronous: a few lines per file, and nothing is lost when a daemon exits or is killed.
    const dest = pino.destination({ dest: logFileName(o), append: true, mkdir: true, sync: true });
    openDestinations.push(dest);
    streams.push({ level, stream: dest });
  }
  if (!o.demon) streams.push({ level, stream: humanStderr() });
  return pino({ level, base: { pid: process.pid, cmd: o.command, name: o.name } }, pino.multistream(streams));
}

// logrotate `create`: on SIGHUP reopen the files so the new one is written.
process.on('SIGHUP', () => {
  for (const d of openDestinations) d.reopen();
});

function humanStderr(): pino.DestinationStream {
  const levels: Record<number, string> = {
    10: 'TRACE',
    20: 'DEBUG',
    30: 'INFO',
    40: 'WARN',
    50: 'ERROR',
    60: 'FATAL',
  };
  const skip = new Set(['level', 'time', 'pid', 'cmd', 'name', 'msg', 'hostname']);
  return {
    write(line: string) {
      try {
        const o = JSON.parse(line);
        const extra = Object.entries(o)
          .filter(([k]) => !skip.has(k))
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        const t = new Date(o.time).toISOString().replace('T', ' ').slice(0, 23);
        process.stderr.write(
          `${t} ${levels[o.level] ?? o.level}: ${o.msg ?? ''}${extra ? ' ' + extra : ''}\n`,
        );
      } catch {
        process.stderr.write(line);
      }
      return true;
    },
  };
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
