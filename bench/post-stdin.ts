import http from 'node:http';

// post-stdin.ts --stream|--buffer URL: POSTs stdin with the upload cookie ($COOKIE), as
// `curl -T -` (chunked, streaming) or `curl --data-binary @-` (whole body first) do; prints the
// answer, exits 1 on an HTTP error. The export bench's baseline uploader when curl is missing.
const [mode, url] = process.argv.slice(2);
const chunks: Buffer[] = [];
const headers: http.OutgoingHttpHeaders = {
  cookie: process.env.COOKIE ?? '',
  'content-type': 'application/octet-stream',
};
if (mode === '--buffer') {
  for await (const c of process.stdin) chunks.push(c as Buffer);
  headers['content-length'] = Buffer.concat(chunks).length;
}
const req = http.request(url, { method: 'POST', headers }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => (body += d));
  res.on('end', () => {
    process.stdout.write(body);
    process.exitCode = (res.statusCode ?? 500) >= 400 ? 1 : 0;
  });
});
if (mode === '--buffer') req.end(Buffer.concat(chunks));
else process.stdin.pipe(req);
