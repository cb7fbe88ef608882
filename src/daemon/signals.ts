/**
 * SIGTERM/SIGINT abort the returned controller: loops stop claiming, finish or release the item in
 * hand, then exit. A second signal exits at once.
 */
export function shutdownOnSignals(onSignal?: (sig: string) => void): AbortController {
  const ac = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    onSignal?.(sig);
    if (count > 1) process.exit(130);
    ac.abort(new Error(`received ${sig}`));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return ac;
}
