import net from 'node:net';

/** A TCP port free on 127.0.0.1 right now (the OS picks it), for a server the test starts. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((res) => s.close(res));
  return p;
}
