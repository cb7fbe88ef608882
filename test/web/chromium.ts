import { accessSync, constants, existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// Which Chromium the browser tests drive: Debian's (/usr/bin/chromium) when it is installed, else
// the build inside the npm package @sparticuz/chromium (unpacked into the temp directory on first
// use, about 2 s), so a machine with only Node and npm runs the browser tests too.
// FITSSTORE_TEST_CHROMIUM=npm forces the npm build (how its path is tested on a machine that has
// both), =system forces the system one, a path names any other binary.

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags for a headless run in a container: no sandbox (root), no GPU, no calls home. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedChromium {
  browser: Browser;
  /** 'system' or 'npm', and the binary, for the test log and the README's claim. */
  which: 'system' | 'npm' | 'path';
  executable: string;
}

async function npmChromium(): Promise<string> {
  const { default: sparticuz } = await import('@sparticuz/chromium');
  // Graphics off: the pages need no WebGL, and it spares unpacking SwiftShader.
  sparticuz.setGraphicsMode = false;
  const exe = await sparticuz.executablePath();
  try {
    accessSync(exe, constants.X_OK);
  } catch {
    throw new Error(
      `${exe} (unpacked by @sparticuz/chromium) is not executable by this user: remove it and re-run`,
    );
  }
  return exe;
}

export async function launchChromium(
  choice = process.env.FITSSTORE_TEST_CHROMIUM ?? 'auto',
): Promise<LaunchedChromium> {
  let which: LaunchedChromium['which'];
  let executable: string;
  if (choice === 'npm' || (choice === 'auto' && !existsSync(SYSTEM_CHROMIUM))) {
    which = 'npm';
    executable = await npmChromium();
  } else if (choice === 'system' || choice === 'auto') {
    which = 'system';
    executable = SYSTEM_CHROMIUM;
    if (!existsSync(executable))
      throw new Error(`FITSSTORE_TEST_CHROMIUM=system but ${executable} is not installed`);
  } else {
    which = 'path';
    executable = choice;
  }
  const browser = await chromium.launch({ executablePath: executable, args: ARGS, headless: true });
  // Said once per run in the test output, so a reader knows which browser passed.
  console.log(`browser tests: ${which} Chromium ${browser.version()} (${executable})`);
  return { browser, which, executable };
}
