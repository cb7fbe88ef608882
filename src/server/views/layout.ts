import { html, type Html, type Interpolation } from './html.js';

// The page shell: one stylesheet, a navigation bar that knows who is logged in, and a main
// landmark with the page's content. No scripts unless a page asks (only /queuestatus does).

export interface Viewer {
  username: string;
  staff: boolean;
}

/** What every page needs to know about the request it answers. */
export interface PageContext {
  user: Viewer | null;
  /** The CSRF token for this page's POST forms (the logout button is one). */
  csrf: string;
  /** Path and query of this page, for "log in and come back". */
  here: string;
}

export interface PageOptions {
  title: string;
  body: Interpolation;
  /** Scripts under /static/ (self-refresh). */
  scripts?: string[];
  /** Head elements (a noscript refresh). */
  head?: Interpolation;
}

function nav(pc: PageContext | null): Html {
  const links: Interpolation[] = [html`<li><a href="/searchform">Search</a></li>`];
  if (pc?.user?.staff) {
    links.push(
      html`<li><a href="/queuestatus">Queue status</a></li>`,
      html`<li><a href="/usagereport">Usage report</a></li>`,
    );
  }
  let who: Html;
  if (!pc) who = html``;
  else if (pc.user) {
    who = html`<form class="logout" method="post" action="/logout">
      <span>Logged in as <strong>${pc.user.username}</strong>${pc.user.staff ? ' (staff)' : ''}</span>
      <input type="hidden" name="csrf" value="${pc.csrf}" />
      <button type="submit">Log out</button>
    </form>`;
  } else {
    who = html`<a href="/login?next=${encodeURIComponent(pc.here)}">Log in</a>`;
  }
  return html`<header class="site">
    <nav aria-label="Site">
      <span class="brand">fitsstore archive</span>
      <ul>
        ${links}
      </ul>
    </nav>
    <div class="who">${who}</div>
  </header>`;
}

export function layout(pc: PageContext | null, o: PageOptions): Html {
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title} · fitsstore</title>
        <link rel="stylesheet" href="/static/style.css" />
        ${o.head} ${(o.scripts ?? []).map((s) => html`<script src="/static/${s}" defer></script>`)}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        ${nav(pc)}
        <main id="main">
          <h1>${o.title}</h1>
          ${o.body}
        </main>
      </body>
    </html> `;
}

/** A message box: warnings (unrecognised terms, limits) and errors. */
export function notice(kind: 'warning' | 'info' | 'error', text: Interpolation): Html {
  const role = kind === 'info' ? 'status' : 'alert';
  return html`<p class="notice ${kind}" role="${role}">${text}</p>`;
}
