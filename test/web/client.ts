// A tiny cookie-keeping HTTP client for the web tests that do not need a browser.

export class Client {
  readonly cookies = new Map<string, string>();
  /** Raw Set-Cookie headers seen, for checking their attributes. */
  readonly setCookies: string[] = [];

  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      this.setCookies.push(c);
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const k = pair.slice(0, i).trim();
      const v = pair.slice(i + 1).trim();
      if (v === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.base + path, {
      headers: { cookie: this.cookieHeader(), ...headers },
      redirect: 'manual',
    });
    this.keep(res);
    return res;
  }

  async post(
    path: string,
    form: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const res = await fetch(this.base + path, {
      method: 'POST',
      body,
      headers: {
        cookie: this.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      redirect: 'manual',
    });
    this.keep(res);
    return res;
  }

  /** The CSRF token of the first form on a page. */
  static csrfOf(page: string): string {
    const m = /name="csrf" value="([^"]+)"/.exec(page);
    if (!m) throw new Error('no csrf field on the page');
    return m[1];
  }

  async login(username: string, password: string): Promise<Response> {
    const page = await (await this.get('/login')).text();
    return this.post('/login', { csrf: Client.csrfOf(page), username, password, next: '/searchform' });
  }
}
