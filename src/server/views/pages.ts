import { html, type Html, type Interpolation } from './html.js';
import { layout, notice, type PageContext } from './layout.js';

// Small whole pages: errors, refusals, the login form.

export function errorPage(reference: number | null): Html {
  return layout(null, {
    title: 'Internal error',
    body: html`${notice(
        'error',
        html`Something went wrong on the server while answering this request. The error has been
        recorded${
          reference === null
            ? ''
            : html` with reference number <strong class="reference">${reference}</strong>`
        }:
        please quote it when you report the problem.`,
      )}
      <p><a href="/searchform">Back to the search form</a></p>`,
  });
}

export function messagePage(pc: PageContext | null, title: string, message: Interpolation): Html {
  return layout(pc, {
    title,
    body: html`${notice('error', message)}
      <p><a href="/searchform">Back to the search form</a></p>`,
  });
}

export interface LoginView {
  next: string;
  username?: string;
  error?: string;
}

export function loginPage(pc: PageContext, v: LoginView): Html {
  return layout(pc, {
    title: 'Log in',
    body: html`${v.error ? notice('error', v.error) : ''}
      <form method="post" action="/login" class="login">
        <input type="hidden" name="csrf" value="${pc.csrf}" />
        <input type="hidden" name="next" value="${v.next}" />
        <p>
          <label for="username">Username</label>
          <input id="username" name="username" autocomplete="username" required value="${v.username ?? ''}" />
        </p>
        <p>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </p>
        <p><button type="submit">Log in</button></p>
      </form>`,
  });
}
