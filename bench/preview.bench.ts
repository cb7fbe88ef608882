import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { buildFits, imageHdu } from '../src/fits/write.js';
import { previewFits } from '../src/preview/index.js';
import { gmosFrame } from '../test/preview/frames.js';
import { emit, main, median, round, type BenchResult, type BenchRow } from './lib.js';
import { appendSection } from './history.js';

// Preview rendering, the way the preview service runs it on a local store: the file read from
// disk (positioned reads straight into each HDU's buffer), mosaicked, binned, clipped, stretched
// and encoded to JPEG.
//  - GMOS-like: 12 int16 amplifier extensions of 544 × 4608 (512 data + 32 overscan columns),
//    3 CCDs of 2048 × 4608 unbinned: 6,528 × 4,608 pixels, 60 MB.
//  - a 2048 × 2048 float32 frame (sky noise + stars + a NaN patch), 16 MB.
// Time: median of 5 runs after a warm-up. Memory: in a fresh process, peak RSS during one run
// above the RSS just before it (Linux VmHWM after resetting it through /proc/self/clear_refs).

const RUNS = Number(process.env.BENCH_PREVIEW_RUNS ?? 5);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function procStatus(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function float2k(): Buffer {
  const n = 2048;
  const data = new Float32Array(n * n);
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < data.length; i++) data[i] = 1000 + 30 * (rand() + rand() + rand() - 1.5);
  for (let s = 0; s < 300; s++) {
    const x0 = Math.floor(rand() * n);
    const y0 = Math.floor(rand() * n);
    const flux = 200 * Math.exp(6 * rand());
    for (let y = Math.max(0, y0 - 8); y < Math.min(n, y0 + 9); y++) {
      for (let x = Math.max(0, x0 - 8); x < Math.min(n, x0 + 9); x++) {
        data[y * n + x] += flux * Math.exp(-((x - x0) ** 2 + (y - y0) ** 2) / 8);
      }
    }
  }
  for (let y = 100; y < 150; y++) data.fill(NaN, y * n + 100, y * n + 150);
  return buildFits([imageHdu(data, { primary: true, shape: [n, n] })]);
}

async function render(file: string): Promise<void> {
  const r = await previewFits(file, file);
  if (r.jpeg.length < 100) throw new Error(`${file}: suspiciously small JPEG`);
}

/**
 * Wall-clock and CPU milliseconds (user + system, sharp's threads included) of each run. On a
 * machine shared with other work the CPU time is what the preview costs; the wall time is what
 * it takes there and then.
 */
async function times(file: string): Promise<{ wall: number[]; cpu: number[] }> {
  await render(file); // warm-up: JIT, sharp's thread pool, the page cache
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    gc();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await render(file);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

/**
 * Peak memory of one preview in a fresh process (freed memory stays resident, so a process that
 * rendered before would under-report): warm up on a tiny file, then RSS high-water mark above
 * the RSS before the run.
 */
async function peakInChild(file: string, tiny: string): Promise<number> {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--memory', file, tiny],
    {
      encoding: 'utf8',
    },
  );
  const m = /PEAK (\d+)/.exec(out);
  return m ? Number(m[1]) : NaN;
}

async function memoryChild(file: string, tiny: string): Promise<void> {
  await render(tiny);
  gc();
  const before = procStatus('VmRSS');
  writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
  await render(file);
  process.stdout.write(`PEAK ${procStatus('VmHWM') - before}\n`);
}

if (process.argv[2] === '--memory') {
  main(() => memoryChild(process.argv[3], process.argv[4]));
} else
  main(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-preview-'));
    try {
      const gmos = path.join(dir, 'gmos12.fits');
      writeFileSync(gmos, gmosFrame({ ccd: [2048, 4608], bin: 1, overscan: 32 }));
      const flt = path.join(dir, 'float2k.fits');
      writeFileSync(flt, float2k());
      const tiny = path.join(dir, 'tiny.fits');
      writeFileSync(
        tiny,
        buildFits([imageHdu(new Float32Array(64 * 64).fill(1), { primary: true, shape: [64, 64] })]),
      );
      const canMeasure = existsSync('/proc/self/clear_refs');
      const rows: BenchRow[] = [];
      const cases: Array<[string, string, number]> = [
        ['GMOS-like 12 × int16 extensions (6,528 × 4,608 px)', gmos, 1000],
        ['2048 × 2048 float32 frame', flt, 250],
      ];
      for (const [label, file, targetMs] of cases) {
        const size = statSync(file).size;
        const { wall: t, cpu } = await times(file);
        const peakExtra = canMeasure ? await peakInChild(file, tiny) : NaN;
        const med = median(t);
        rows.push({
          name: `${label}: preview time`,
          value: round(med),
          unit: 'ms',
          target: `≤ ${targetMs / 1000} s`,
          pass: med <= targetMs,
          detail: `median of ${RUNS}; min ${round(Math.min(...t))} ms, max ${round(Math.max(...t))} ms`,
        });
        rows.push({
          name: `${label}: CPU time per preview`,
          value: round(median(cpu)),
          unit: 'ms',
          detail: `user + system, sharp's threads included; median of ${RUNS}, min ${round(Math.min(...cpu))} ms`,
        });
        const ratio = peakExtra / size;
        rows.push({
          name: `${label}: peak extra memory`,
          value: round(peakExtra / 2 ** 20, 1),
          unit: 'MiB',
          target: '≤ 3 × input',
          pass: ratio <= 3,
          detail: `${round(ratio, 2)} × the ${round(size / 2 ** 20, 1)} MiB input (peak RSS of a fresh process above its RSS before the run)`,
        });
      }
      const result: BenchResult = {
        bench: 'preview',
        title: 'Previews',
        method:
          'previewFits() on a plain file on local disk (what service-queue preview does on a local store; .bz2 ' +
          'files are streamed through the decompressor instead): each image HDU read into its own aligned ' +
          'buffer, amplifiers placed by DETSEC/DATASEC straight into a binned canvas, 0.3/99.7 % clip on a subsample, ' +
          'asinh stretch, sharp resize to 1000 px and JPEG. Median of 5 runs after a warm-up. The machine is ' +
          'shared with other sessions: the CPU time rows are what a preview costs, the wall times what it took.',
        rows,
        notes: [
          `sharp ${(await import('sharp')).default.versions.sharp}, libvips ${(await import('sharp')).default.versions.vips}`,
        ],
      };
      emit(result);
      const doc = appendSection(
        result,
        `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg()[0].toFixed(1)}`,
      );
      for (const r of rows)
        process.stdout.write(
          `| ${r.name} | ${r.value} ${r.unit} | ${r.target ?? ''} | ${r.detail ?? ''} |\n`,
        );
      if (doc) process.stdout.write(`section appended to ${doc}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
