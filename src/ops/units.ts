import type { Config } from '../config/schema.js';

// The systemd units as shipped (systemd/fits-*.service) hold the example configuration's paths
// (docs/config.example.json). ProtectSystem=strict makes everything else read-only, so every
// directory a daemon writes must be in ReadWritePaths: with the lock directory missing,
// `--lockfile` failed under the units as shipped. `fitsstore units` renders them for the
// configuration in use; the test renders each one and checks.

const INSTALL_DIR = '/opt/fitsstore';
const CONFIG_FILE = '/etc/fitsstore/config.json';

/** Directories the daemon of this unit writes: logs, lock, store, var; the server also staging. */
function writablePaths(config: Config, unit: string): string[] {
  const p = config.paths;
  const paths = [p.log_dir, p.lock_dir, p.storage_root, p.var_dir];
  // The HTTP server receives uploads into staging (archive role); the DHS is never written.
  if (/fits-server/.test(unit)) paths.push(p.upload_staging);
  return [...new Set(paths)];
}

/**
 * A shipped unit with this configuration's paths: ReadWritePaths, FITSSTORE_CONFIG and the
 * install directory of the package.
 */
export function renderUnit(
  text: string,
  unit: string,
  config: Config,
  o: { configFile?: string; installDir?: string } = {},
): string {
  let out = text.replace(/^ReadWritePaths=.*$/m, `ReadWritePaths=${writablePaths(config, unit).join(' ')}`);
  if (o.configFile) out = out.replace(`FITSSTORE_CONFIG=${CONFIG_FILE}`, `FITSSTORE_CONFIG=${o.configFile}`);
  if (o.installDir) out = out.split(INSTALL_DIR).join(o.installDir.replace(/\/+$/, ''));
  return out;
}
