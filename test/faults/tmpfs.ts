import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

// A small tmpfs for the store-full / read-only faults, for any user. As an ordinary user chmod
// does not make a directory full, and as root it does not even make it read-only: only a real
// file system of a chosen size, remounted read-only, does both. Root mounts it directly; anyone
// else mounts it inside an unprivileged user + mount namespace (`unshare --user --map-root-user
// --mount`), held open by a small shell, and the processes under test enter that namespace with
// nsenter. The test process itself stays outside and reads the mount through the holder's
// /proc/<pid>/root. The namespace, and the mount with it, vanish when the holder and the processes
// inside it exit: nothing is left mounted on the machine if the test dies.

// mount, unshare and nsenter live in the system directories even when PATH holds only node and npm.
const SYSTEM_PATH = `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin`;
const ENV = { ...process.env, PATH: SYSTEM_PATH };
/** A system program's full path: the processes under test run with the test's own PATH. */
const which = (name: string) =>
  SYSTEM_PATH.split(':')
    .filter((d) => d !== '')
    .map((d) => path.join(d, name))
    .find((f) => existsSync(f)) ?? name;

// libmount merges the mount's current options into a remount's, among them the tmpfs's uid= and
// gid= as seen from outside; inside a user namespace those ids are unmapped and the kernel refuses
// the whole remount (EINVAL, "tmpfs: Invalid uid"). Taking only the options given avoids that.
const REMOUNT = ['--options-source=disable', '-o'];

export interface Tmpfs {
  /** How this process reaches the mounted directory (inside a namespace: through /proc). */
  readonly view: string;
  /** Command prefix that runs a program where it sees the mount (empty when mounted directly). */
  readonly enter: string[];
  /** `mount -o remount,<options>` of the tmpfs; throws with mount's message when it fails. */
  remount(options: string): void;
  /** Unmounts it (direct) or ends the namespace's holder; the mount goes with the last process in it. */
  release(): void;
}

function run(cmd: string, args: string[]): { ok: boolean; message: string } {
  const r = spawnSync(cmd, args, { env: ENV, encoding: 'utf8' });
  const message = (r.error?.message ?? r.stderr ?? '').trim() || `exit status ${r.status}`;
  return { ok: r.status === 0, message };
}

function mountDirect(dir: string, options: string): Tmpfs | string {
  const r = run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  if (!r.ok) return r.message;
  return {
    view: dir,
    enter: [],
    remount(o) {
      const m = run('mount', [...REMOUNT, `remount,${o}`, dir]);
      if (!m.ok) throw new Error(`mount -o remount,${o} ${dir}: ${m.message}`);
    },
    release() {
      run('umount', [dir]);
    },
  };
}

async function mountInNamespace(dir: string, options: string): Promise<Tmpfs | string> {
  // The holder mounts, says so, then waits on its stdin: when this process ends, however it
  // ends, the pipe closes and the holder exits.
  const script = `mount -t tmpfs -o "$1" tmpfs "$2" && echo mounted && read _`;
  const holder = spawn(
    which('unshare'),
    ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'sh', options, dir],
    {
      env: ENV,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const failure = await holderReady(holder);
  if (failure !== undefined) return failure;
  const pid = holder.pid!;
  const enter = [which('nsenter'), `--target=${pid}`, '--user', '--mount', '--preserve-credentials', '--'];
  return {
    view: path.join(`/proc/${pid}/root`, dir),
    enter,
    remount(o) {
      const m = run(enter[0], [...enter.slice(1), 'mount', ...REMOUNT, `remount,${o}`, dir]);
      if (!m.ok) throw new Error(`mount -o remount,${o} ${dir} in the namespace of ${pid}: ${m.message}`);
    },
    release() {
      holder.stdin!.end();
    },
  };
}

/** undefined once the holder printed "mounted", else what went wrong. */
function holderReady(holder: ChildProcess): Promise<string | undefined> {
  return new Promise((resolve) => {
    let err = '';
    holder.stderr!.on('data', (d) => (err += d));
    holder.stdout!.on('data', (d) => String(d).includes('mounted') && resolve(undefined));
    holder.on('error', (e) => resolve(e.message));
    holder.on('close', (code) => resolve(err.trim() || `unshare exited with status ${code}`));
  });
}

/**
 * Mounts a tmpfs with the given options (e.g. `size=1m,mode=0755`) on dir: directly as root,
 * else (or if that fails) inside a user namespace. Throws one line naming both causes if neither works.
 */
export async function mountTmpfs(dir: string, options: string): Promise<Tmpfs> {
  let direct: Tmpfs | string = 'not root';
  if (process.getuid?.() === 0) {
    direct = mountDirect(dir, options);
    if (typeof direct !== 'string') return direct;
  }
  const ns = await mountInNamespace(dir, options);
  if (typeof ns !== 'string') return ns;
  throw new Error(
    `cannot mount a tmpfs on ${dir}: directly (${direct}), nor in an unprivileged user namespace (${ns}); ` +
      'run it as root, or allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0, ' +
      'kernel.unprivileged_userns_clone=1 on Debian, kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu)',
  );
}
