import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/queues/tables.js';
import { runWorker, type Handler } from '../../src/queues/worker.js';
import { makeIngestHandler } from '../../src/services/ingest/ingest.js';
import { enqueueIngest } from '../../src/services/ingest/ingestqueue.js';
import { makePreviewHandler } from '../../src/services/archive/preview.js';
import { brokenSample, sampleFits, sampleName } from '../../src/gemini/samples.js';
import { launchChromium } from './chromium.js';
import { FUTURE, grant, PAST, PI, screenshotDir, STAFF, startSite, type Site } from './site.js';

// The acceptance tests of the web pages, in Chromium (Debian's, else the npm build: see
// chromium.ts) driven by playwright-core: what an operator and an astronomer do, screen by screen. Screenshots of every page go to
// $FITSSTORE_SCREENSHOTS (default: <tmp>/fitsstore-web-screenshots).

const PUBLIC_PROG = 'GN-2024B-Q-301';
const PROP_PROG = 'GS-2024B-Q-302';

let s: Site;
let browser: Browser;
const shots = screenshotDir();

/** playwright-core has no test matchers: vitest's expect.poll does the waiting. */
const text = (l: Locator) => l.textContent().then((t) => t ?? '');

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  return { context, page: await context.newPage() };
}

async function login(page: Page, user: { username: string; password: string }, next: string) {
  await page.goto(`${s.url}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => u.pathname === next.split('?')[0]);
}

beforeAll(async () => {
  s = await startSite('web_browser');
  ({ browser } = await launchChromium());
  for (let i = 1; i <= 3; i++) {
    await s.ingest({
      date: '20241005',
      serial: i,
      programId: PUBLIC_PROG,
      release: PAST,
      size: 96,
      object: `M${30 + i}`,
    });
  }
  for (let i = 1; i <= 2; i++) {
    await s.ingest({
      site: 'S',
      date: '20241006',
      serial: i,
      programId: PROP_PROG,
      release: FUTURE,
      size: 96,
      object: 'Secret Target',
      extraCards: [['PROP_MD', true]],
    });
  }
  await grant(s.t.db, PI.username, { program_id: PROP_PROG });
  // Previews, so the result tables show thumbnails.
  const previews = makePreviewHandler({ db: s.t.db, storage: s.deps.storage });
  const ids = await s.t.db.query('SELECT id FROM diskfile ORDER BY id');
  for (const r of ids.rows)
    await previews({ diskfile_id: r.id } as never, { signal: new AbortController().signal, log: s.deps.log });
  await s.t.db.query('DELETE FROM previewqueue; DELETE FROM calcachequeue');
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('the web site in a browser', () => {
  it('staff log in and watch the queue status counts change while files are ingested', async () => {
    const { context, page } = await newPage();
    await login(page, STAFF, '/queuestatus?refresh=1');
    await expect.poll(() => page.locator('#tab-waiting-ingest').textContent()).toBe('0');
    await shot(page, 'queuestatus-empty');

    // Six files and one that is not FITS arrive in the store and are queued for ingest.
    const names: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const name = sampleName({ date: '20241007', serial: i });
      await s.deps.storage.write(
        name,
        Readable.from([
          sampleFits({ date: '20241007', serial: i, programId: PUBLIC_PROG, release: PAST, size: 64 }),
        ]),
      );
      names.push(name);
    }
    const broken = 'N20241007S0099.fits';
    await s.deps.storage.write(broken, Readable.from([brokenSample('not-fits', { serial: 99 })]));
    await enqueueIngest(
      s.t.db,
      [...names, broken].map((filename) => ({ filename })),
    );

    // The page refreshes itself (no reload) and shows them waiting.
    await expect.poll(() => page.locator('#tab-waiting-ingest').textContent()).toBe('7');
    await expect.poll(() => page.locator('#waiting-ingest li').count()).toBe(7);
    await shot(page, 'queuestatus-waiting');

    // The real ingest worker drains the queue; it holds its first item until the page has shown it
    // at work (a gate, not a guess at how slow is slow enough to be seen).
    const ingest = makeIngestHandler(s.deps);
    let seenAtWork!: () => void;
    const gate = new Promise<void>((r) => (seenAtWork = r));
    const slow: Handler = async (row, ctx) => {
      await gate;
      return ingest(row, ctx);
    };
    const ac = new AbortController();
    ac.signal.addEventListener('abort', () => seenAtWork());
    const worker = runWorker({
      db: s.t.db,
      url: s.t.url,
      queue: QUEUES.ingest,
      name: 'webtest',
      handler: slow,
      log: s.deps.log,
      signal: ac.signal,
      once: true,
    });
    await expect.poll(() => page.locator('#inprogress-ingest tr').count()).toBe(1);
    await expect.poll(() => text(page.locator('#inprogress-ingest tr td').nth(1))).toContain('webtest');
    await expect.poll(() => text(page.locator('#workers'))).toContain('alive');
    await shot(page, 'queuestatus-working');
    seenAtWork();
    const stats = await worker;
    expect(stats).toMatchObject({ done: 6, failed: 1 });

    await expect.poll(() => page.locator('#tab-waiting-ingest').textContent()).toBe('0');
    await expect.poll(() => text(page.locator('#tab-errors-ingest'))).toBe('1');
    // Ingest queued a preview and a calibration job per file (the archive role).
    await expect.poll(() => text(page.locator('#tab-waiting-preview'))).toBe('6');
    await expect.poll(() => text(page.locator('#tab-waiting-calcache'))).toBe('6');

    // Clicking the error shows its message and stack.
    const err = page.locator('#errors-ingest details').first();
    await expect.poll(() => text(err.locator('summary'))).toBe(broken);
    await err.locator('pre').waitFor({ state: 'hidden' });
    await err.locator('summary').click();
    await err.locator('pre').waitFor({ state: 'visible' });
    await expect.poll(() => text(err.locator('pre'))).toContain('not a valid FITS file');
    await expect.poll(() => text(err.locator('pre'))).toContain('IngestError');
    await expect.poll(() => text(err.locator('pre'))).toMatch(/at .*ingest\.ts:\d+/);
    // It stays open across refreshes.
    const generated = await page.locator('#generated').textContent();
    await expect.poll(() => page.locator('#generated').textContent()).not.toBe(generated);
    await err.locator('pre').waitFor({ state: 'visible' });
    await shot(page, 'queuestatus-error');

    // The other tabs.
    await page.locator('#tab-preview').click();
    await page.locator('#queue-preview').waitFor({ state: 'visible' });
    await page.locator('#queue-ingest').waitFor({ state: 'hidden' });
    await shot(page, 'queuestatus-preview-tab');
    await context.close();
  });

  it('a forced 500 shows up in the usage report with its stack', async () => {
    const { context, page } = await newPage();
    await login(page, STAFF, '/searchform');
    const res = await page.goto(`${s.url}/debug/raise`);
    expect(res!.status()).toBe(500);
    const ref = (await page.locator('.reference').textContent())!;
    expect(ref).toMatch(/^\d+$/);
    await shot(page, 'error-500');

    // The error page does not look the user up again (that may be what failed): navigate on.
    await page.goto(`${s.url}/usagereport`);
    await page.getByLabel('Status').fill('500');
    await page.getByRole('button', { name: 'Show' }).click();
    const row = page.locator('table.usage tbody tr', {
      has: page.getByRole('link', { name: ref, exact: true }),
    });
    await expect.poll(() => text(row)).toContain('/debug/raise');
    await expect.poll(() => text(row)).toContain(STAFF.username);
    await expect.poll(() => page.locator('table.usage tbody tr').count()).toBe(1); // only the 500s
    await shot(page, 'usagereport');

    await row.getByRole('link', { name: ref, exact: true }).click();
    await page.waitForURL(`**/usagedetails/${ref}`);
    const notes = page.locator('pre.notes');
    await expect.poll(() => text(notes)).toContain('DeliberateError: deliberate error from /debug/raise');
    await expect.poll(() => text(notes)).toMatch(/at .*debug\.ts:\d+/);
    await shot(page, 'usagedetails');
    await context.close();
  });

  it('a search by program id shows its files; two of them download as a tar that md5sum -c verifies', async () => {
    const { context, page } = await newPage();
    await page.goto(`${s.url}/searchform`);
    await shot(page, 'searchform-empty');
    await page.getByLabel('Program, observation or data label').fill(PUBLIC_PROG);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`**/searchform/progid%3D${PUBLIC_PROG}`);
    const rows = page.locator('table.results tbody tr');
    const expected = [
      'N20241005S0001.fits',
      'N20241005S0002.fits',
      'N20241005S0003.fits',
      ...Array.from({ length: 6 }, (_, i) => `N20241007S000${i + 1}.fits`),
    ];
    await expect.poll(() => rows.count()).toBe(expected.length);
    expect((await rows.locator('th[scope=row]').allTextContents()).sort()).toEqual(expected);
    await page.locator('img.thumb').first().waitFor({ state: 'visible' });
    expect(
      await page
        .locator('img.thumb')
        .first()
        .evaluate((img: HTMLImageElement) => img.naturalWidth),
    ).toBeGreaterThan(0);
    await shot(page, 'searchform-results');

    await page.getByLabel('Select N20241005S0001.fits').check();
    await page.getByLabel('Select N20241005S0003.fits').check();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download selected files' }).click(),
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-browser-dl-'));
    try {
      const tarFile = path.join(dir, download.suggestedFilename());
      await download.saveAs(tarFile);
      expect(spawnSync('tar', ['-xf', tarFile], { cwd: dir }).status).toBe(0);
      const check = spawnSync('md5sum', ['-c', 'md5sums.txt'], { cwd: dir, encoding: 'utf8' });
      expect(check.status).toBe(0);
      expect(check.stdout.trim().split('\n')).toEqual(['N20241005S0001.fits: OK', 'N20241005S0003.fits: OK']);
      expect(readFileSync(path.join(dir, 'README.txt'), 'utf8')).toMatch(/Files: +2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Sorting by a column heading.
    await page.getByRole('link', { name: 'Filename' }).click();
    await page.getByRole('link', { name: 'Filename' }).click();
    expect(page.url()).toMatch(/orderby=filename_desc/);
    expect(await rows.locator('th[scope=row]').first().textContent()).toBe('N20241007S0006.fits');

    await page.goto(`${s.url}/summary/${PUBLIC_PROG}`);
    await shot(page, 'summary');
    await page.goto(`${s.url}/fullheader/N20241005S0001.fits`);
    await expect.poll(() => text(page.locator('pre.header'))).toContain(`GEMPRGID= '${PUBLIC_PROG}'`);
    await shot(page, 'fullheader');
    await context.close();
  });

  it('anonymous users cannot see staff pages or proprietary files; the PI with a grant can', async () => {
    const { context, page } = await newPage();
    for (const p of ['/queuestatus', '/usagereport', '/usagedetails/1']) {
      await page.goto(`${s.url}${p}`);
      expect(page.url()).toMatch(/\/login\?next=/);
      await page.getByRole('heading', { name: 'Log in' }).waitFor({ state: 'visible' });
    }
    await shot(page, 'login');
    expect((await page.request.get(`${s.url}/queuestatus/json`)).status()).toBe(403);

    await page.goto(`${s.url}/searchform/${PROP_PROG}`);
    const rows = page.locator('table.results tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await expect.poll(() => text(rows.first())).toContain(`proprietary until ${FUTURE}`);
    await expect.poll(() => page.getByText('Secret Target').count()).toBe(0);
    await expect.poll(() => page.locator('a[href^="/file/"]').count()).toBe(0);
    await expect.poll(() => page.locator('img.thumb').count()).toBe(0);
    await shot(page, 'searchform-proprietary-anonymous');
    const name = 'S20241006S0001.fits';
    expect((await page.request.get(`${s.url}/file/${name}`)).status()).toBe(403);
    expect((await page.request.get(`${s.url}/fullheader/${name}`)).status()).toBe(403);
    expect((await page.request.get(`${s.url}/thumbnail/${name}`)).status()).toBe(403);

    // The PI with a grant sees and downloads them; still no staff pages.
    await login(page, PI, `/searchform/${PROP_PROG}`);
    await page.getByText('Secret Target').first().waitFor({ state: 'visible' });
    expect((await page.request.get(`${s.url}/file/${name}`)).status()).toBe(200);
    const staffPage = await page.goto(`${s.url}/queuestatus`);
    expect(staffPage!.status()).toBe(403);
    await context.close();
  });
});
