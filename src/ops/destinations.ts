// Asking an export destination what it holds, the way the export service does (DESIGN.md §7), with
// a short timeout: triage and doctor must answer even when the archive hangs.

export interface RemoteFile {
  name?: string;
  filename?: string;
  path?: string;
  data_md5?: string;
  file_md5?: string;
  md5?: string;
  size?: number;
  data_size?: number;
  file_size?: number;
}

export type Probe =
  | { reachable: true; status: number; files: RemoteFile[] | null; error?: string; ms: number }
  | { reachable: false; error: string; ms: number };

export async function probePresent(baseUrl: string, name: string, timeoutMs = 5000): Promise<Probe> {
  const url = `${baseUrl.replace(/\/+$/, '')}/jsonfilelist/present/filename=${encodeURIComponent(name)}`;
  const t0 = Date.now();
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
    const ms = Date.now() - t0;
    const text = await res.text();
    if (!res.ok)
      return {
        reachable: true,
        status: res.status,
        files: null,
        error: `HTTP ${res.status} from ${url}`,
        ms,
      };
    try {
      const body = JSON.parse(text);
      return { reachable: true, status: res.status, files: Array.isArray(body) ? body : [], ms };
    } catch {
      return { reachable: true, status: res.status, files: null, error: `not JSON from ${url}`, ms };
    }
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { reachable: false, error: `${url}: ${why}`, ms: Date.now() - t0 };
  }
}

/** The md5 a destination reports for a file (the archive's jsonfilelist calls it data_md5). */
export function remoteMd5(f: RemoteFile): string | undefined {
  return f.data_md5 ?? f.md5;
}
