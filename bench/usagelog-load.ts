import http from 'node:http';

// Load generator for usagelog.bench.ts, in its own process so that it does not share the
// server's event loop: `concurrency` keep-alive connections, each sending GETs one after another
// until `total` requests are done. Prints one JSON line: count, seconds, latencies (ms).

const [url, concurrencyArg, totalArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const total = Number(totalArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function get(): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    http
      .get(url, { agent }, (res) => {
        res.on('data', () => {});
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - start)
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

let started = 0;
const latencies: number[] = [];
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (started < total) {
      started++;
      latencies.push(await get());
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
agent.destroy();
process.stdout.write(JSON.stringify({ count: latencies.length, seconds, latencies }) + '\n');
